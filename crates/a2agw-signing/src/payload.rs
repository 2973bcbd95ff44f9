//! The signed form of a card (spec §8.4.1); the rules are on [`card_payload`].

use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug)]
enum Presence {
    /// REQUIRED: kept whenever present.
    Required,
    /// `optional` scalar or singular message: kept whenever present.
    Explicit,
    /// Implicit presence: dropped at its default value.
    Implicit,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Scalar,
    Message(&'static Msg),
    RepeatedScalar,
    RepeatedMessage(&'static Msg),
    MapScalar,
    MapMessage(&'static Msg),
    /// `google.protobuf.Struct`: arbitrary JSON, kept as received.
    Struct,
}

#[derive(Debug)]
struct Field {
    json: &'static str,
    proto: &'static str,
    kind: Kind,
    presence: Presence,
}

#[derive(Debug)]
struct Msg {
    fields: &'static [Field],
}

impl Msg {
    fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields
            .iter()
            .find(|f| f.json == name || f.proto == name)
    }
}

const fn f(json: &'static str, proto: &'static str, kind: Kind, presence: Presence) -> Field {
    Field {
        json,
        proto,
        kind,
        presence,
    }
}

use Kind::{MapMessage, MapScalar, Message, RepeatedMessage, RepeatedScalar, Scalar, Struct};
use Presence::{Explicit, Implicit, Required};

static AGENT_CARD: Msg = Msg {
    fields: &[
        f("name", "name", Scalar, Required),
        f("description", "description", Scalar, Required),
        f(
            "supportedInterfaces",
            "supported_interfaces",
            RepeatedMessage(&AGENT_INTERFACE),
            Required,
        ),
        f("provider", "provider", Message(&AGENT_PROVIDER), Explicit),
        f("version", "version", Scalar, Required),
        f("documentationUrl", "documentation_url", Scalar, Explicit),
        f(
            "capabilities",
            "capabilities",
            Message(&AGENT_CAPABILITIES),
            Required,
        ),
        f(
            "securitySchemes",
            "security_schemes",
            MapMessage(&SECURITY_SCHEME),
            Implicit,
        ),
        f(
            "securityRequirements",
            "security_requirements",
            RepeatedMessage(&SECURITY_REQUIREMENT),
            Implicit,
        ),
        f(
            "defaultInputModes",
            "default_input_modes",
            RepeatedScalar,
            Required,
        ),
        f(
            "defaultOutputModes",
            "default_output_modes",
            RepeatedScalar,
            Required,
        ),
        f("skills", "skills", RepeatedMessage(&AGENT_SKILL), Required),
        f("iconUrl", "icon_url", Scalar, Explicit),
    ],
};

static AGENT_INTERFACE: Msg = Msg {
    fields: &[
        f("url", "url", Scalar, Required),
        f("protocolBinding", "protocol_binding", Scalar, Required),
        f("tenant", "tenant", Scalar, Implicit),
        f("protocolVersion", "protocol_version", Scalar, Required),
    ],
};

static AGENT_PROVIDER: Msg = Msg {
    fields: &[
        f("url", "url", Scalar, Required),
        f("organization", "organization", Scalar, Required),
    ],
};

static AGENT_CAPABILITIES: Msg = Msg {
    fields: &[
        f("streaming", "streaming", Scalar, Explicit),
        f("pushNotifications", "push_notifications", Scalar, Explicit),
        f(
            "extensions",
            "extensions",
            RepeatedMessage(&AGENT_EXTENSION),
            Implicit,
        ),
        f("extendedAgentCard", "extended_agent_card", Scalar, Explicit),
    ],
};

static AGENT_EXTENSION: Msg = Msg {
    fields: &[
        f("uri", "uri", Scalar, Implicit),
        f("description", "description", Scalar, Implicit),
        f("required", "required", Scalar, Implicit),
        f("params", "params", Struct, Explicit),
    ],
};

static AGENT_SKILL: Msg = Msg {
    fields: &[
        f("id", "id", Scalar, Required),
        f("name", "name", Scalar, Required),
        f("description", "description", Scalar, Required),
        f("tags", "tags", RepeatedScalar, Required),
        f("examples", "examples", RepeatedScalar, Implicit),
        f("inputModes", "input_modes", RepeatedScalar, Implicit),
        f("outputModes", "output_modes", RepeatedScalar, Implicit),
        f(
            "securityRequirements",
            "security_requirements",
            RepeatedMessage(&SECURITY_REQUIREMENT),
            Implicit,
        ),
    ],
};

static SECURITY_REQUIREMENT: Msg = Msg {
    fields: &[f("schemes", "schemes", MapMessage(&STRING_LIST), Implicit)],
};

static STRING_LIST: Msg = Msg {
    fields: &[f("list", "list", RepeatedScalar, Implicit)],
};

static SECURITY_SCHEME: Msg = Msg {
    fields: &[
        f(
            "apiKeySecurityScheme",
            "api_key_security_scheme",
            Message(&API_KEY_SCHEME),
            Explicit,
        ),
        f(
            "httpAuthSecurityScheme",
            "http_auth_security_scheme",
            Message(&HTTP_AUTH_SCHEME),
            Explicit,
        ),
        f(
            "oauth2SecurityScheme",
            "oauth2_security_scheme",
            Message(&OAUTH2_SCHEME),
            Explicit,
        ),
        f(
            "openIdConnectSecurityScheme",
            "open_id_connect_security_scheme",
            Message(&OIDC_SCHEME),
            Explicit,
        ),
        f(
            "mtlsSecurityScheme",
            "mtls_security_scheme",
            Message(&MTLS_SCHEME),
            Explicit,
        ),
    ],
};

static API_KEY_SCHEME: Msg = Msg {
    fields: &[
        f("description", "description", Scalar, Implicit),
        f("location", "location", Scalar, Required),
        f("name", "name", Scalar, Required),
    ],
};

static HTTP_AUTH_SCHEME: Msg = Msg {
    fields: &[
        f("description", "description", Scalar, Implicit),
        f("scheme", "scheme", Scalar, Required),
        f("bearerFormat", "bearer_format", Scalar, Implicit),
    ],
};

static OAUTH2_SCHEME: Msg = Msg {
    fields: &[
        f("description", "description", Scalar, Implicit),
        f("flows", "flows", Message(&OAUTH_FLOWS), Required),
        f("oauth2MetadataUrl", "oauth2_metadata_url", Scalar, Implicit),
    ],
};

static OIDC_SCHEME: Msg = Msg {
    fields: &[
        f("description", "description", Scalar, Implicit),
        f("openIdConnectUrl", "open_id_connect_url", Scalar, Required),
    ],
};

static MTLS_SCHEME: Msg = Msg {
    fields: &[f("description", "description", Scalar, Implicit)],
};

static OAUTH_FLOWS: Msg = Msg {
    fields: &[
        f(
            "authorizationCode",
            "authorization_code",
            Message(&AUTHORIZATION_CODE_FLOW),
            Explicit,
        ),
        f(
            "clientCredentials",
            "client_credentials",
            Message(&CLIENT_CREDENTIALS_FLOW),
            Explicit,
        ),
        f("implicit", "implicit", Message(&IMPLICIT_FLOW), Explicit),
        f("password", "password", Message(&PASSWORD_FLOW), Explicit),
        f(
            "deviceCode",
            "device_code",
            Message(&DEVICE_CODE_FLOW),
            Explicit,
        ),
    ],
};

static AUTHORIZATION_CODE_FLOW: Msg = Msg {
    fields: &[
        f("authorizationUrl", "authorization_url", Scalar, Required),
        f("tokenUrl", "token_url", Scalar, Required),
        f("refreshUrl", "refresh_url", Scalar, Implicit),
        f("scopes", "scopes", MapScalar, Required),
        f("pkceRequired", "pkce_required", Scalar, Implicit),
    ],
};

static CLIENT_CREDENTIALS_FLOW: Msg = Msg {
    fields: &[
        f("tokenUrl", "token_url", Scalar, Required),
        f("refreshUrl", "refresh_url", Scalar, Implicit),
        f("scopes", "scopes", MapScalar, Required),
    ],
};

static IMPLICIT_FLOW: Msg = Msg {
    fields: &[
        f("authorizationUrl", "authorization_url", Scalar, Implicit),
        f("refreshUrl", "refresh_url", Scalar, Implicit),
        f("scopes", "scopes", MapScalar, Implicit),
    ],
};

static PASSWORD_FLOW: Msg = Msg {
    fields: &[
        f("tokenUrl", "token_url", Scalar, Implicit),
        f("refreshUrl", "refresh_url", Scalar, Implicit),
        f("scopes", "scopes", MapScalar, Implicit),
    ],
};

static DEVICE_CODE_FLOW: Msg = Msg {
    fields: &[
        f(
            "deviceAuthorizationUrl",
            "device_authorization_url",
            Scalar,
            Required,
        ),
        f("tokenUrl", "token_url", Scalar, Required),
        f("refreshUrl", "refresh_url", Scalar, Implicit),
        f("scopes", "scopes", MapScalar, Required),
    ],
};

/// The card as signed (spec §8.4.1): the top-level `signatures` member removed and
/// proto field presence applied, on raw JSON; canonicalise the result with
/// [`canonicalize`](crate::canonicalize) to get the signed bytes. A `card` that is
/// not an object is returned unchanged.
///
/// The schema mirrors `a2a.proto` (`lf.a2a.v1`) for `AgentCard` and every message it
/// contains. Per known field:
/// - **REQUIRED** (`field_behavior = REQUIRED`): kept whenever present, even `""`,
///   `[]`, `{}` or `false`. An absent REQUIRED field is not invented (the spec's worked
///   example has no `version`).
/// - **`optional` scalars** (explicit presence: `documentationUrl`, `iconUrl`,
///   `streaming`, `pushNotifications`, `extendedAgentCard`): kept whenever present,
///   even at their default.
/// - **singular message fields** (`provider`, `params`, a security scheme's oneof
///   member, `flows`…) have presence in proto3: kept whenever present, contents
///   stripped by the same rules; `google.protobuf.Struct` values (`params`) are kept
///   exactly as received.
/// - **other fields** (implicit presence): dropped at their default: `""`, `false`,
///   `0`, `[]`, `{}`.
/// - `null` for a known field means "not set" (proto JSON) and is dropped.
///
/// Proto field names (`supported_interfaces`) are read as their JSON names
/// (`supportedInterfaces`), as proto JSON parsers accept both.
///
/// **Unknown members** (a 0.3 `url` at the top level, an extension field, anything
/// a newer schema adds) are **kept exactly as received**, at every level. A verifier
/// that canonicalises the raw JSON thus checks what the signer sent, and a card
/// cannot gain or lose an unknown member without breaking its signature.
#[must_use]
pub fn card_payload(card: &Value) -> Value {
    match card {
        Value::Object(map) => {
            let mut map = map.clone();
            map.remove("signatures");
            Value::Object(strip_message(&map, &AGENT_CARD))
        }
        other => other.clone(),
    }
}

fn strip_message(obj: &Map<String, Value>, msg: &Msg) -> Map<String, Value> {
    let mut out = Map::new();
    // Known fields under their JSON name; when both spellings are present the JSON
    // name wins (a proto parser would refuse the duplicate).
    for (name, value) in obj {
        match msg.field(name) {
            None => {
                out.insert(name.clone(), value.clone());
            }
            Some(field) => {
                if field.json != name && obj.contains_key(field.json) {
                    continue;
                }
                if let Some(v) = strip_field(field, value) {
                    out.insert(field.json.to_owned(), v);
                }
            }
        }
    }
    out
}

fn strip_field(field: &Field, value: &Value) -> Option<Value> {
    if value.is_null() {
        return None;
    }
    let keep_default = !matches!(field.presence, Presence::Implicit);
    let stripped = match (field.kind, value) {
        (Kind::Message(msg), Value::Object(obj)) => Value::Object(strip_message(obj, msg)),
        (Kind::RepeatedMessage(msg), Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|item| match item {
                    Value::Object(obj) => Value::Object(strip_message(obj, msg)),
                    other => other.clone(),
                })
                .collect(),
        ),
        (Kind::MapMessage(msg), Value::Object(entries)) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Object(obj) => Value::Object(strip_message(obj, msg)),
                        other => other.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        // Scalars, scalar lists and maps, Struct, and values of an unexpected JSON
        // type: as received.
        _ => value.clone(),
    };
    let is_message = matches!(field.kind, Kind::Message(_) | Kind::Struct);
    if keep_default || is_message || !is_default(&stripped) {
        Some(stripped)
    } else {
        None
    }
}

/// The proto3 default of an implicit-presence field, as JSON.
fn is_default(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

#[cfg(test)]
mod tests;
