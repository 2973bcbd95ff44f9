//! `GET /agents`: the catalog of the agents a caller may use — name, description, version,
//! capabilities, skills, card URL and state — filtered by `skill` (a skill id), `tag` (a
//! skill tag, case-insensitive) and `q` (words that must all appear, case-insensitive, in
//! the agent's name, description or a skill's id, name, description, tags or examples),
//! in name order, paged by `pageSize` (default 50, at most 100) and `pageToken` (the
//! `nextPageToken` of the previous page). Agents the caller may not use are left out, as
//! if they did not exist.

use crate::app::{AppState, caller_from_headers_as};
use crate::forwarded::Connection;
use a2agw_registry::AgentRecord;
use a2agw_types::{A2aError, FieldViolation};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Default and largest `pageSize`.
const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 100;
/// Longest `q`, `skill`, `tag` or `pageToken` read (bytes).
const MAX_PARAM: usize = 256;

/// The catalog's filters and page, read from the query string.
#[derive(Debug, Default)]
struct Filters {
    skill: Option<String>,
    tag: Option<String>,
    words: Vec<String>,
    page_size: usize,
    after: Option<String>,
}

fn invalid(field: &str, why: impl Into<String>) -> A2aError {
    A2aError::invalid_params(vec![FieldViolation::new(field, why)])
}

impl Filters {
    fn read(query: &HashMap<String, String>) -> Result<Filters, A2aError> {
        for (name, value) in query {
            if value.len() > MAX_PARAM {
                return Err(invalid(name, format!("at most {MAX_PARAM} bytes")));
            }
        }
        let page_size = match query.get("pageSize").map(String::as_str) {
            None | Some("") => DEFAULT_PAGE,
            Some(v) => match v.parse::<usize>() {
                Ok(n @ 1..=MAX_PAGE) => n,
                _ => {
                    return Err(invalid(
                        "pageSize",
                        format!("an integer from 1 to {MAX_PAGE}"),
                    ));
                }
            },
        };
        let nonempty = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
        Ok(Filters {
            skill: nonempty("skill"),
            tag: nonempty("tag").map(|t| t.to_lowercase()),
            words: query
                .get("q")
                .map(|q| q.split_whitespace().map(str::to_lowercase).collect())
                .unwrap_or_default(),
            page_size,
            after: nonempty("pageToken"),
        })
    }

    fn matches(&self, agent: &AgentRecord) -> bool {
        let skills = &agent.card.skills;
        if let Some(id) = &self.skill
            && !skills.iter().any(|s| &s.id == id)
        {
            return false;
        }
        if let Some(tag) = &self.tag
            && !skills
                .iter()
                .any(|s| s.tags.iter().any(|t| t.to_lowercase() == *tag))
        {
            return false;
        }
        if self.words.is_empty() {
            return true;
        }
        let mut text = format!(
            "{} {} {}",
            agent.name, agent.card.name, agent.card.description
        );
        for s in skills {
            text.push(' ');
            text.push_str(&s.id);
            text.push(' ');
            text.push_str(&s.name);
            text.push(' ');
            text.push_str(&s.description);
            for t in s.tags.iter().chain(&s.examples) {
                text.push(' ');
                text.push_str(t);
            }
        }
        let text = text.to_lowercase();
        self.words.iter().all(|w| text.contains(w.as_str()))
    }
}

/// One catalog entry.
fn entry(agent: &AgentRecord, base: &str) -> Value {
    let card = &agent.card;
    json!({
        "name": agent.name,
        "displayName": card.name,
        "description": card.description,
        "version": card.version,
        "cardUrl": format!("{base}/agents/{}/.well-known/agent-card.json", agent.name),
        "url": format!("{base}/agents/{}", agent.name),
        "state": "ready",
        "capabilities": {
            "streaming": card.capabilities.streaming.unwrap_or(false),
            "pushNotifications": card.capabilities.push_notifications.unwrap_or(false),
            "extendedAgentCard": card.capabilities.extended_agent_card.unwrap_or(false),
        },
        "skills": card.skills.iter().map(|s| json!({
            "id": s.id,
            "name": s.name,
            "description": s.description,
            "tags": s.tags,
        })).collect::<Vec<_>>(),
    })
}

/// `GET /agents`.
pub(crate) async fn serve(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    conn: Connection,
    headers: HeaderMap,
) -> Response {
    let info = match caller_from_headers_as(&state, &headers, &query, true) {
        Ok(info) => info,
        Err(resp) => return resp,
    };
    let filters = match Filters::read(&query) {
        Ok(f) => f,
        Err(e) => return crate::error::rest_error("application/json", &e),
    };
    let base = state.card.base_url(&headers, conn);
    let snapshot = state.handler.registry().snapshot();
    let mut page = Vec::new();
    let mut more = false;
    for agent in snapshot.iter() {
        if filters
            .after
            .as_ref()
            .is_some_and(|after| agent.name <= *after)
            || !info.caller.may_use(agent)
            || !filters.matches(agent)
        {
            continue;
        }
        if page.len() == filters.page_size {
            more = true;
            break;
        }
        page.push(agent);
    }
    let next = match (more, page.last()) {
        (true, Some(last)) => last.name.clone(),
        _ => String::new(),
    };
    let body = json!({
        "agents": page.iter().map(|a| entry(a, &base)).collect::<Vec<_>>(),
        "nextPageToken": next,
    });
    axum::Json(body).into_response()
}
