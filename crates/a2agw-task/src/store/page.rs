//! `ListTasks` paging and shaping shared by every backend.

use a2agw_types::Task;
use base64::Engine as _;

/// Keyset cursor: the last task of the previous page, ordered by (status time desc, id desc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageCursor {
    /// Status timestamp of the last task returned, in Unix milliseconds.
    pub status_millis: i64,
    /// Id of the last task returned.
    pub task_id: String,
}

impl PageCursor {
    /// The opaque token for this cursor.
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("v1:{}:{}", self.status_millis, self.task_id))
    }

    /// Reads a token made by [`PageCursor::encode`]; `None` for anything else.
    pub fn decode(token: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let rest = text.strip_prefix("v1:")?;
        let (ms, id) = rest.split_once(':')?;
        Some(PageCursor {
            status_millis: ms.parse().ok()?,
            task_id: id.to_owned(),
        })
    }

    /// Whether `(status_millis, task_id)` comes after this cursor in list order.
    pub fn comes_after(&self, status_millis: i64, task_id: &str) -> bool {
        (status_millis, task_id) < (self.status_millis, self.task_id.as_str())
    }
}

/// Applies `historyLength` and `includeArtifacts` to a listed task: artifacts are absent
/// unless asked for, and then present (possibly empty).
pub fn shape_task(task: &mut Task, history_length: Option<i32>, include_artifacts: bool) {
    task.truncate_history(history_length);
    if include_artifacts {
        task.artifacts.get_or_insert_with(Vec::new);
    } else {
        task.artifacts = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let c = PageCursor {
            status_millis: -5,
            task_id: "a:b".into(),
        };
        assert_eq!(PageCursor::decode(&c.encode()), Some(c));
        assert_eq!(PageCursor::decode("garbage"), None);
        assert_eq!(PageCursor::decode(""), None);
    }

    #[test]
    fn order() {
        let c = PageCursor {
            status_millis: 10,
            task_id: "m".into(),
        };
        assert!(c.comes_after(9, "z"));
        assert!(c.comes_after(10, "a"));
        assert!(!c.comes_after(10, "m"));
        assert!(!c.comes_after(11, "a"));
    }
}
