//! Checks of the spec's rules that the type system does not express: REQUIRED fields,
//! non-empty REQUIRED arrays, value ranges.

use crate::requests::*;
use crate::*;

/// A value that can be checked against the spec's rules.
pub trait Validate {
    /// Appends every broken rule to `out`, with field paths below `path`.
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>);

    /// All broken rules, or `Ok(())`.
    fn validate(&self) -> Result<(), ValidationError> {
        let mut violations = Vec::new();
        self.validate_into("", &mut violations);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ValidationError { violations })
        }
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn required_str(path: &str, field: &str, value: &str, out: &mut Vec<FieldViolation>) {
    if value.is_empty() {
        out.push(FieldViolation::new(join(path, field), "is required"));
    }
}

fn required_list<T>(path: &str, field: &str, value: &[T], out: &mut Vec<FieldViolation>) {
    if value.is_empty() {
        out.push(FieldViolation::new(
            join(path, field),
            "is required and must not be empty",
        ));
    }
}

fn non_negative(path: &str, field: &str, value: Option<i32>, out: &mut Vec<FieldViolation>) {
    if let Some(n) = value.filter(|n| *n < 0) {
        out.push(FieldViolation::new(
            join(path, field),
            format!("must not be negative, got {n}"),
        ));
    }
}

impl Validate for Message {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "messageId", &self.message_id, out);
        if self.role == Role::Unspecified {
            out.push(FieldViolation::new(
                join(path, "role"),
                "is required (ROLE_USER or ROLE_AGENT)",
            ));
        }
        required_list(path, "parts", &self.parts, out);
    }
}

impl Validate for Artifact {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "artifactId", &self.artifact_id, out);
        required_list(path, "parts", &self.parts, out);
    }
}

impl Validate for TaskStatus {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        if self.state == TaskState::Unspecified {
            out.push(FieldViolation::new(
                join(path, "state"),
                "is required (not TASK_STATE_UNSPECIFIED)",
            ));
        }
        if let Some(m) = &self.message {
            m.validate_into(&join(path, "message"), out);
        }
    }
}

impl Validate for Task {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "id", &self.id, out);
        self.status.validate_into(&join(path, "status"), out);
        for (i, a) in self.artifacts().iter().enumerate() {
            a.validate_into(&format!("{}[{i}]", join(path, "artifacts")), out);
        }
        for (i, m) in self.history.iter().enumerate() {
            m.validate_into(&format!("{}[{i}]", join(path, "history")), out);
        }
    }
}

impl Validate for TaskStatusUpdateEvent {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "taskId", &self.task_id, out);
        required_str(path, "contextId", &self.context_id, out);
        self.status.validate_into(&join(path, "status"), out);
    }
}

impl Validate for TaskArtifactUpdateEvent {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "taskId", &self.task_id, out);
        required_str(path, "contextId", &self.context_id, out);
        self.artifact.validate_into(&join(path, "artifact"), out);
    }
}

impl Validate for StreamResponse {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        match self {
            StreamResponse::Task(t) => t.validate_into(&join(path, "task"), out),
            StreamResponse::Message(m) => m.validate_into(&join(path, "message"), out),
            StreamResponse::StatusUpdate(e) => e.validate_into(&join(path, "statusUpdate"), out),
            StreamResponse::ArtifactUpdate(e) => {
                e.validate_into(&join(path, "artifactUpdate"), out)
            }
        }
    }
}

impl Validate for SendMessageResponse {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        match self {
            SendMessageResponse::Task(t) => t.validate_into(&join(path, "task"), out),
            SendMessageResponse::Message(m) => m.validate_into(&join(path, "message"), out),
        }
    }
}

impl Validate for AuthenticationInfo {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "scheme", &self.scheme, out);
    }
}

impl Validate for TaskPushNotificationConfig {
    /// `taskId` is checked by the operations that need it (not inside `SendMessage`).
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "url", &self.url, out);
        if let Some(a) = &self.authentication {
            a.validate_into(&join(path, "authentication"), out);
        }
    }
}

impl Validate for SendMessageConfiguration {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        non_negative(path, "historyLength", self.history_length, out);
        if let Some(c) = &self.task_push_notification_config {
            c.validate_into(&join(path, "taskPushNotificationConfig"), out);
        }
    }
}

impl Validate for SendMessageRequest {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        self.message.validate_into(&join(path, "message"), out);
        if let Some(c) = &self.configuration {
            c.validate_into(&join(path, "configuration"), out);
        }
    }
}

impl Validate for GetTaskRequest {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "id", &self.id, out);
        non_negative(path, "historyLength", self.history_length, out);
    }
}

/// Largest `ListTasks` page.
pub const MAX_PAGE_SIZE: i32 = 100;
/// `ListTasks` page size when none is given.
pub const DEFAULT_PAGE_SIZE: i32 = 50;

impl Validate for ListTasksRequest {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        if let Some(n) = self.page_size.filter(|n| !(1..=MAX_PAGE_SIZE).contains(n)) {
            out.push(FieldViolation::new(
                join(path, "pageSize"),
                format!("must be between 1 and {MAX_PAGE_SIZE}, got {n}"),
            ));
        }
        non_negative(path, "historyLength", self.history_length, out);
    }
}

impl Validate for CancelTaskRequest {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "id", &self.id, out);
    }
}

impl Validate for SubscribeToTaskRequest {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "id", &self.id, out);
    }
}

impl Validate for GetTaskPushNotificationConfigRequest {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "taskId", &self.task_id, out);
        required_str(path, "id", &self.id, out);
    }
}

impl Validate for DeleteTaskPushNotificationConfigRequest {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "taskId", &self.task_id, out);
        required_str(path, "id", &self.id, out);
    }
}

impl Validate for ListTaskPushNotificationConfigsRequest {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "taskId", &self.task_id, out);
        if self.page_size < 0 {
            out.push(FieldViolation::new(
                join(path, "pageSize"),
                format!("must not be negative, got {}", self.page_size),
            ));
        }
    }
}

fn is_major_minor(v: &str) -> bool {
    let mut it = v.split('.');
    matches!(
        (it.next(), it.next(), it.next()),
        (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit())
    )
}

impl Validate for AgentInterface {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "url", &self.url, out);
        required_str(path, "protocolBinding", &self.protocol_binding, out);
        if !is_major_minor(&self.protocol_version) {
            out.push(FieldViolation::new(
                join(path, "protocolVersion"),
                format!(
                    "must be `Major.Minor` (e.g. `1.0`), got `{}`",
                    self.protocol_version
                ),
            ));
        }
    }
}

impl Validate for AgentSkill {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "id", &self.id, out);
        required_str(path, "name", &self.name, out);
        required_str(path, "description", &self.description, out);
        required_list(path, "tags", &self.tags, out);
    }
}

impl Validate for SecurityScheme {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        match self {
            SecurityScheme::ApiKeySecurityScheme(s) => {
                let p = join(path, "apiKeySecurityScheme");
                required_str(&p, "name", &s.name, out);
                if !matches!(s.location.as_str(), "query" | "header" | "cookie") {
                    out.push(FieldViolation::new(
                        join(&p, "location"),
                        format!(
                            "must be `query`, `header` or `cookie`, got `{}`",
                            s.location
                        ),
                    ));
                }
            }
            SecurityScheme::HttpAuthSecurityScheme(s) => {
                required_str(
                    &join(path, "httpAuthSecurityScheme"),
                    "scheme",
                    &s.scheme,
                    out,
                );
            }
            SecurityScheme::Oauth2SecurityScheme(s) => {
                let p = join(path, "oauth2SecurityScheme.flows");
                match &s.flows {
                    OAuthFlows::AuthorizationCode(f) => {
                        let p = join(&p, "authorizationCode");
                        required_str(&p, "authorizationUrl", &f.authorization_url, out);
                        required_str(&p, "tokenUrl", &f.token_url, out);
                    }
                    OAuthFlows::ClientCredentials(f) => {
                        required_str(
                            &join(&p, "clientCredentials"),
                            "tokenUrl",
                            &f.token_url,
                            out,
                        );
                    }
                    OAuthFlows::DeviceCode(f) => {
                        let p = join(&p, "deviceCode");
                        required_str(
                            &p,
                            "deviceAuthorizationUrl",
                            &f.device_authorization_url,
                            out,
                        );
                        required_str(&p, "tokenUrl", &f.token_url, out);
                    }
                    OAuthFlows::Implicit(_) | OAuthFlows::Password(_) => {}
                }
            }
            SecurityScheme::OpenIdConnectSecurityScheme(s) => {
                required_str(
                    &join(path, "openIdConnectSecurityScheme"),
                    "openIdConnectUrl",
                    &s.open_id_connect_url,
                    out,
                );
            }
            SecurityScheme::MtlsSecurityScheme(_) => {}
        }
    }
}

impl Validate for AgentCard {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        required_str(path, "name", &self.name, out);
        required_str(path, "description", &self.description, out);
        required_str(path, "version", &self.version, out);
        required_list(path, "supportedInterfaces", &self.supported_interfaces, out);
        for (i, it) in self.supported_interfaces.iter().enumerate() {
            it.validate_into(&format!("{}[{i}]", join(path, "supportedInterfaces")), out);
        }
        if let Some(p) = &self.provider {
            let pp = join(path, "provider");
            required_str(&pp, "url", &p.url, out);
            required_str(&pp, "organization", &p.organization, out);
        }
        for (name, s) in &self.security_schemes {
            s.validate_into(&format!("{}[{name:?}]", join(path, "securitySchemes")), out);
        }
        required_list(path, "defaultInputModes", &self.default_input_modes, out);
        required_list(path, "defaultOutputModes", &self.default_output_modes, out);
        required_list(path, "skills", &self.skills, out);
        for (i, s) in self.skills.iter().enumerate() {
            s.validate_into(&format!("{}[{i}]", join(path, "skills")), out);
        }
        for (i, s) in self.signatures.iter().enumerate() {
            let p = format!("{}[{i}]", join(path, "signatures"));
            required_str(&p, "protected", &s.protected, out);
            required_str(&p, "signature", &s.signature, out);
        }
    }
}
