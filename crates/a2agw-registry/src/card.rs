//! The card of an agent the operator describes.

use a2agw_types::{
    AgentCapabilities, AgentCard, AgentExtension, AgentProvider, AgentSkill, ApiKeySecurityScheme,
    HttpAuthSecurityScheme, SecurityRequirement, SecurityScheme, StringList,
};
use std::collections::BTreeMap;

/// What an operator says about an agent (a config section, an admin API definition).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentDefinition {
    /// The agent's name, also the card's `name`.
    pub name: String,
    /// The card's `description`.
    pub description: String,
    /// The card's `version`.
    pub version: String,
    /// `capabilities.streaming`.
    pub streaming: bool,
    /// `capabilities.pushNotifications`.
    pub push_notifications: bool,
    /// The public card's skills.
    pub skills: Vec<AgentSkill>,
    /// Skills shown only in the extended card; when there are any, the card declares
    /// `capabilities.extendedAgentCard`.
    pub extended_skills: Vec<AgentSkill>,
    /// `capabilities.extensions`.
    pub extensions: Vec<AgentExtension>,
}

/// The security schemes every card of the gateway declares: those of its authentication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CardSecurity {
    /// By scheme name.
    pub schemes: BTreeMap<String, SecurityScheme>,
    /// Anonymous callers are served: the card then states no security requirement.
    pub anonymous: bool,
}

impl CardSecurity {
    /// No scheme; anonymous callers served or not.
    pub fn new(anonymous: bool) -> Self {
        CardSecurity {
            schemes: BTreeMap::new(),
            anonymous,
        }
    }

    /// Declares the gateway's API keys, read from the header `header`, as `apiKey`.
    #[must_use]
    pub fn with_api_key(mut self, header: &str) -> Self {
        self.schemes.insert(
            "apiKey".into(),
            SecurityScheme::ApiKeySecurityScheme(ApiKeySecurityScheme {
                description: "An API key issued by the gateway operator".into(),
                location: "header".into(),
                name: header.to_owned(),
            }),
        );
        self
    }

    /// Declares JWT bearer tokens as `bearer`.
    #[must_use]
    pub fn with_jwt_bearer(mut self) -> Self {
        self.schemes.insert(
            "bearer".into(),
            SecurityScheme::HttpAuthSecurityScheme(HttpAuthSecurityScheme {
                description: "A JWT from the configured issuer".into(),
                scheme: "Bearer".into(),
                bearer_format: "JWT".into(),
            }),
        );
        self
    }

    /// Sets the card's schemes and, when anonymous callers are not served, its
    /// requirements (any one scheme).
    fn apply(&self, card: &mut AgentCard) {
        card.security_schemes.clone_from(&self.schemes);
        card.security_requirements = if self.anonymous {
            Vec::new()
        } else {
            self.schemes
                .keys()
                .map(|name| SecurityRequirement {
                    schemes: BTreeMap::from([(name.clone(), StringList::default())]),
                })
                .collect()
        };
    }
}

impl AgentDefinition {
    /// The public card (no interfaces: the server adds them per request).
    pub fn card(&self, security: &CardSecurity) -> AgentCard {
        let mut card = AgentCard {
            name: self.name.clone(),
            description: self.description.clone(),
            version: self.version.clone(),
            provider: Some(AgentProvider {
                url: "https://github.com/a2a-gateway".into(),
                organization: "a2a-gateway".into(),
            }),
            capabilities: AgentCapabilities {
                streaming: Some(self.streaming),
                push_notifications: Some(self.push_notifications),
                extensions: self.extensions.clone(),
                extended_agent_card: Some(!self.extended_skills.is_empty()),
            },
            default_input_modes: vec!["text/plain".into()],
            default_output_modes: vec!["text/plain".into()],
            skills: self.skills.clone(),
            ..AgentCard::default()
        };
        security.apply(&mut card);
        card
    }

    /// The card for authenticated callers: the public card plus the extended skills;
    /// `None` when there are none.
    pub fn extended_card(&self, security: &CardSecurity) -> Option<AgentCard> {
        if self.extended_skills.is_empty() {
            return None;
        }
        let mut card = self.card(security);
        card.skills.extend(self.extended_skills.iter().cloned());
        Some(card)
    }
}

/// The card the gateway serves for an agent whose card it fetched (`upstream`): the
/// upstream's name, description, version, provider, skills, modes and extensions, with
/// the capabilities the gateway serves for it (`streaming`, `push_notifications`; no
/// extended card), the gateway's security schemes instead of the upstream's (callers
/// authenticate to the gateway), no interfaces (the server adds its own per request) and
/// no signatures (the gateway signs what it serves, when it has a key).
pub fn adopt_card(
    upstream: &AgentCard,
    streaming: bool,
    push_notifications: bool,
    security: &CardSecurity,
) -> AgentCard {
    let mut card = upstream.clone();
    card.supported_interfaces.clear();
    card.signatures.clear();
    card.capabilities.streaming = Some(streaming);
    card.capabilities.push_notifications = Some(push_notifications);
    card.capabilities.extended_agent_card = Some(false);
    security.apply(&mut card);
    card
}

/// The gateway's own card, served at its root when it serves several agents: the card of
/// the root agent (`root`: its name, description, capabilities and security — what the
/// root endpoint does with a request that names no agent) with, instead of its skills,
/// the skills of every agent in `agents` (name, public card), each skill's id qualified by its agent
/// (`{agent}/{skill}`: the agent is reached at `/agents/{agent}`, or at the root with
/// `tenant` = `{agent}`), tagged `agent:{agent}`, and its input and output modes made
/// explicit (a skill that names none takes its own agent's defaults, not the root's).
pub fn gateway_card<'a>(
    root: &AgentCard,
    agents: impl IntoIterator<Item = (&'a str, &'a AgentCard)>,
) -> AgentCard {
    let mut card = root.clone();
    card.skills = agents
        .into_iter()
        .flat_map(|(name, agent)| {
            agent.skills.iter().map(move |skill| {
                let mut skill = skill.clone();
                skill.id = format!("{name}/{}", skill.id);
                let tag = format!("agent:{name}");
                if !skill.tags.contains(&tag) {
                    skill.tags.push(tag);
                }
                if skill.input_modes.is_empty() {
                    skill.input_modes.clone_from(&agent.default_input_modes);
                }
                if skill.output_modes.is_empty() {
                    skill.output_modes.clone_from(&agent.default_output_modes);
                }
                skill
            })
        })
        .collect();
    card
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(id: &str) -> AgentSkill {
        AgentSkill {
            id: id.into(),
            name: id.into(),
            description: format!("the {id} skill"),
            tags: vec!["t".into()],
            ..AgentSkill::default()
        }
    }

    #[test]
    fn cards_carry_the_definition_and_the_security() {
        let def = AgentDefinition {
            name: "echo".into(),
            description: "Echoes".into(),
            version: "2.0.0".into(),
            streaming: true,
            push_notifications: false,
            skills: vec![skill("echo")],
            extended_skills: vec![skill("secret")],
            extensions: Vec::new(),
        };
        let open = CardSecurity::new(true).with_api_key("X-API-Key");
        let card = def.card(&open);
        assert_eq!(card.name, "echo");
        assert_eq!(card.capabilities.streaming, Some(true));
        assert_eq!(card.capabilities.push_notifications, Some(false));
        assert_eq!(card.capabilities.extended_agent_card, Some(true));
        assert_eq!(card.skills.len(), 1);
        assert!(card.security_schemes.contains_key("apiKey"));
        assert!(card.security_requirements.is_empty());
        assert!(card.supported_interfaces.is_empty());
        let closed = CardSecurity::new(false)
            .with_api_key("X-API-Key")
            .with_jwt_bearer();
        let card = def.card(&closed);
        assert_eq!(card.security_requirements.len(), 2);
        let ext = def.extended_card(&closed);
        assert_eq!(ext.map(|c| c.skills.len()), Some(2));
        let plain = AgentDefinition {
            extended_skills: Vec::new(),
            ..def
        };
        assert_eq!(plain.extended_card(&closed), None);
        assert_eq!(
            plain.card(&closed).capabilities.extended_agent_card,
            Some(false)
        );
    }

    #[test]
    fn an_adopted_card_keeps_the_upstream_words_and_takes_the_gateway_security() {
        let mut upstream = AgentDefinition {
            name: "Travel".into(),
            description: "Books trips".into(),
            version: "3.1".into(),
            skills: vec![skill("book")],
            ..AgentDefinition::default()
        }
        .card(&CardSecurity::new(false).with_api_key("X-Upstream-Key"));
        upstream
            .signatures
            .push(a2agw_types::AgentCardSignature::default());
        upstream
            .supported_interfaces
            .push(a2agw_types::AgentInterface::default());
        let card = adopt_card(
            &upstream,
            true,
            true,
            &CardSecurity::new(true).with_jwt_bearer(),
        );
        assert_eq!(
            (card.name.as_str(), card.version.as_str()),
            ("Travel", "3.1")
        );
        assert_eq!(card.skills, upstream.skills);
        assert!(card.signatures.is_empty() && card.supported_interfaces.is_empty());
        assert_eq!(card.security_schemes.keys().collect::<Vec<_>>(), ["bearer"]);
        assert!(card.security_requirements.is_empty());
        assert_eq!(card.capabilities.streaming, Some(true));
        assert_eq!(card.capabilities.extended_agent_card, Some(false));
    }

    #[test]
    fn the_gateway_card_qualifies_every_agents_skills() {
        let echo = AgentDefinition {
            name: "echo".into(),
            description: "Echoes".into(),
            streaming: true,
            skills: vec![skill("echo"), skill("shout")],
            ..AgentDefinition::default()
        }
        .card(&CardSecurity::new(true));
        let mut images = AgentDefinition {
            name: "images".into(),
            skills: vec![skill("draw")],
            ..AgentDefinition::default()
        }
        .card(&CardSecurity::new(true));
        images.default_output_modes = vec!["image/png".into()];
        images.skills[0].input_modes = vec!["text/markdown".into()];
        let card = gateway_card(&echo, [("echo", &echo), ("images", &images)]);
        assert_eq!(
            (card.name.as_str(), card.description.as_str()),
            ("echo", "Echoes")
        );
        assert_eq!(card.capabilities, echo.capabilities);
        let ids: Vec<_> = card.skills.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["echo/echo", "echo/shout", "images/draw"]);
        let draw = &card.skills[2];
        assert_eq!(draw.tags, ["t", "agent:images"]);
        assert_eq!(draw.input_modes, ["text/markdown"]);
        assert_eq!(draw.output_modes, ["image/png"]);
        assert_eq!(card.skills[0].output_modes, ["text/plain"]);
    }
}
