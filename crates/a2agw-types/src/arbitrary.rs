//! proptest strategies for every type of the crate, producing values that pass
//! [`crate::Validate`] (REQUIRED fields set, REQUIRED lists non-empty).
//!
//! JSON numbers are integers within ±2^53 or finite fractions, so they survive a trip
//! through `google.protobuf.Value` (an `f64`) unchanged.

use crate::*;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::Value;

/// Short arbitrary text (any Unicode, possibly empty).
pub fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

/// A non-empty identifier-like string.
pub fn id() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_-]{1,16}"
}

/// A URL-like string.
pub fn url() -> impl Strategy<Value = String> {
    "https://[a-z]{1,8}\\.example/[a-z0-9/]{0,10}"
}

fn media_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("text/plain".to_owned()),
        Just("application/json".to_owned()),
        Just("image/png".to_owned())
    ]
}

/// A JSON number that round-trips through `f64`.
pub fn json_number() -> impl Strategy<Value = serde_json::Number> {
    const LIMIT: i64 = 1 << 53;
    prop_oneof![
        (-LIMIT..LIMIT).prop_map(serde_json::Number::from),
        (-1_000_000i32..1_000_000).prop_map(|n| {
            serde_json::Number::from_f64(f64::from(n) + 0.5).unwrap_or_else(|| 0.into())
        }),
    ]
}

/// An arbitrary JSON value (nested up to a few levels).
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number().prop_map(Value::Number),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-zA-Z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A `google.protobuf.Struct`.
pub fn metadata() -> impl Strategy<Value = Metadata> {
    btree_map("[a-zA-Z_.:/]{1,10}", json_value(), 0..4).prop_map(|m| m.into_iter().collect())
}

fn opt_metadata() -> impl Strategy<Value = Option<Metadata>> {
    option::of(metadata())
}

/// A timestamp within the proto range, mostly at millisecond precision.
pub fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        -62_135_596_800i64..=253_402_300_799i64,
        prop_oneof![
            (0i32..1000).prop_map(|ms| ms * 1_000_000),
            0i32..1_000_000_000
        ],
    )
        .prop_map(|(s, n)| Timestamp::new(s, n).unwrap_or_default())
}

/// A part with any content kind.
pub fn part() -> impl Strategy<Value = Part> {
    let content = prop_oneof![
        text().prop_map(PartContent::Text),
        vec(any::<u8>(), 0..24).prop_map(PartContent::Raw),
        url().prop_map(PartContent::Url),
        json_value().prop_map(PartContent::Data),
    ];
    (
        content,
        opt_metadata(),
        prop_oneof![Just(String::new()), "[a-z]{1,8}\\.txt"],
        media_type(),
    )
        .prop_map(|(content, metadata, filename, media_type)| Part {
            content,
            metadata,
            filename,
            media_type,
        })
}

/// A role that is set.
pub fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::User), Just(Role::Agent)]
}

/// A valid message.
pub fn message() -> impl Strategy<Value = Message> {
    (
        id(),
        prop_oneof![Just(String::new()), id()],
        prop_oneof![Just(String::new()), id()],
        role(),
        vec(part(), 1..3),
        opt_metadata(),
        vec(url(), 0..2),
        vec(id(), 0..2),
    )
        .prop_map(
            |(
                message_id,
                context_id,
                task_id,
                role,
                parts,
                metadata,
                extensions,
                reference_task_ids,
            )| {
                Message {
                    message_id,
                    context_id,
                    task_id,
                    role,
                    parts,
                    metadata,
                    extensions,
                    reference_task_ids,
                }
            },
        )
}

/// A state that is set.
pub fn task_state() -> impl Strategy<Value = TaskState> {
    proptest::sample::select(&TaskState::ALL[1..])
}

/// A valid status.
pub fn task_status() -> impl Strategy<Value = TaskStatus> {
    (task_state(), option::of(message()), option::of(timestamp())).prop_map(
        |(state, message, timestamp)| TaskStatus {
            state,
            message,
            timestamp,
        },
    )
}

/// A valid artifact.
pub fn artifact() -> impl Strategy<Value = Artifact> {
    (
        id(),
        text(),
        text(),
        vec(part(), 1..3),
        opt_metadata(),
        vec(url(), 0..2),
    )
        .prop_map(
            |(artifact_id, name, description, parts, metadata, extensions)| Artifact {
                artifact_id,
                name,
                description,
                parts,
                metadata,
                extensions,
            },
        )
}

/// A valid task (artifacts absent or non-empty).
pub fn task() -> impl Strategy<Value = Task> {
    (
        id(),
        id(),
        task_status(),
        option::of(vec(artifact(), 1..3)),
        vec(message(), 0..3),
        opt_metadata(),
    )
        .prop_map(
            |(id, context_id, status, artifacts, history, metadata)| Task {
                id,
                context_id,
                status,
                artifacts,
                history,
                metadata,
            },
        )
}

/// A valid status update event.
pub fn status_update() -> impl Strategy<Value = TaskStatusUpdateEvent> {
    (id(), id(), task_status(), opt_metadata()).prop_map(
        |(task_id, context_id, status, metadata)| TaskStatusUpdateEvent {
            task_id,
            context_id,
            status,
            metadata,
        },
    )
}

/// A valid artifact update event.
pub fn artifact_update() -> impl Strategy<Value = TaskArtifactUpdateEvent> {
    (
        id(),
        id(),
        artifact(),
        any::<bool>(),
        any::<bool>(),
        opt_metadata(),
    )
        .prop_map(
            |(task_id, context_id, artifact, append, last_chunk, metadata)| {
                TaskArtifactUpdateEvent {
                    task_id,
                    context_id,
                    artifact,
                    append,
                    last_chunk,
                    metadata,
                }
            },
        )
}

/// Any stream event.
pub fn stream_response() -> impl Strategy<Value = StreamResponse> {
    prop_oneof![
        task().prop_map(StreamResponse::Task),
        message().prop_map(StreamResponse::Message),
        status_update().prop_map(StreamResponse::StatusUpdate),
        artifact_update().prop_map(StreamResponse::ArtifactUpdate),
    ]
}

/// Any `SendMessage` result.
pub fn send_message_response() -> impl Strategy<Value = SendMessageResponse> {
    prop_oneof![
        task().prop_map(SendMessageResponse::Task),
        message().prop_map(SendMessageResponse::Message)
    ]
}

/// Valid authentication info.
pub fn authentication_info() -> impl Strategy<Value = AuthenticationInfo> {
    (
        prop_oneof![Just("Bearer".to_owned()), Just("Basic".to_owned())],
        text(),
    )
        .prop_map(|(scheme, credentials)| AuthenticationInfo {
            scheme,
            credentials,
        })
}

/// A valid push config (with a task id).
pub fn push_config() -> impl Strategy<Value = TaskPushNotificationConfig> {
    (
        prop_oneof![Just(String::new()), id()],
        id(),
        id(),
        url(),
        text(),
        option::of(authentication_info()),
    )
        .prop_map(|(tenant, id, task_id, url, token, authentication)| {
            TaskPushNotificationConfig {
                tenant,
                id,
                task_id,
                url,
                token,
                authentication,
            }
        })
}

fn scopes() -> impl Strategy<Value = Scopes> {
    btree_map("[a-z:.]{1,10}", text(), 0..3)
}

/// Any OAuth flow.
pub fn oauth_flows() -> impl Strategy<Value = OAuthFlows> {
    prop_oneof![
        (
            url(),
            url(),
            prop_oneof![Just(String::new()), url()],
            scopes(),
            any::<bool>()
        )
            .prop_map(|(a, t, r, s, p)| {
                OAuthFlows::AuthorizationCode(AuthorizationCodeOAuthFlow {
                    authorization_url: a,
                    token_url: t,
                    refresh_url: r,
                    scopes: s,
                    pkce_required: p,
                })
            }),
        (url(), prop_oneof![Just(String::new()), url()], scopes()).prop_map(|(t, r, s)| {
            OAuthFlows::ClientCredentials(ClientCredentialsOAuthFlow {
                token_url: t,
                refresh_url: r,
                scopes: s,
            })
        }),
        (url(), url(), scopes()).prop_map(|(a, r, s)| {
            OAuthFlows::Implicit(ImplicitOAuthFlow {
                authorization_url: a,
                refresh_url: r,
                scopes: s,
            })
        }),
        (url(), url(), scopes()).prop_map(|(t, r, s)| OAuthFlows::Password(PasswordOAuthFlow {
            token_url: t,
            refresh_url: r,
            scopes: s
        })),
        (
            url(),
            url(),
            prop_oneof![Just(String::new()), url()],
            scopes()
        )
            .prop_map(|(d, t, r, s)| {
                OAuthFlows::DeviceCode(DeviceCodeOAuthFlow {
                    device_authorization_url: d,
                    token_url: t,
                    refresh_url: r,
                    scopes: s,
                })
            }),
    ]
}

/// Any security scheme.
pub fn security_scheme() -> impl Strategy<Value = SecurityScheme> {
    prop_oneof![
        (
            text(),
            prop_oneof![Just("header"), Just("query"), Just("cookie")],
            id()
        )
            .prop_map(|(d, l, n)| {
                SecurityScheme::ApiKeySecurityScheme(ApiKeySecurityScheme {
                    description: d,
                    location: l.to_owned(),
                    name: n,
                })
            }),
        (
            text(),
            prop_oneof![Just("Bearer"), Just("Basic")],
            prop_oneof![Just(""), Just("JWT")]
        )
            .prop_map(|(d, s, b)| {
                SecurityScheme::HttpAuthSecurityScheme(HttpAuthSecurityScheme {
                    description: d,
                    scheme: s.to_owned(),
                    bearer_format: b.to_owned(),
                })
            }),
        (
            text(),
            oauth_flows(),
            prop_oneof![Just(String::new()), url()]
        )
            .prop_map(|(d, f, m)| {
                SecurityScheme::Oauth2SecurityScheme(OAuth2SecurityScheme {
                    description: d,
                    flows: f,
                    oauth2_metadata_url: m,
                })
            }),
        (text(), url()).prop_map(|(d, u)| {
            SecurityScheme::OpenIdConnectSecurityScheme(OpenIdConnectSecurityScheme {
                description: d,
                open_id_connect_url: u,
            })
        }),
        text().prop_map(
            |d| SecurityScheme::MtlsSecurityScheme(MutualTlsSecurityScheme { description: d })
        ),
    ]
}

/// A security requirement.
pub fn security_requirement() -> impl Strategy<Value = SecurityRequirement> {
    btree_map(
        id(),
        vec("[a-z:.]{1,8}", 0..3).prop_map(|list| StringList { list }),
        1..3,
    )
    .prop_map(|schemes| SecurityRequirement { schemes })
}

/// A valid interface.
pub fn agent_interface() -> impl Strategy<Value = AgentInterface> {
    (
        url(),
        prop_oneof![
            Just(binding::JSONRPC),
            Just(binding::HTTP_JSON),
            Just(binding::GRPC)
        ],
        prop_oneof![Just(String::new()), id()],
        prop_oneof![Just("1.0"), Just("0.3")],
    )
        .prop_map(|(url, b, tenant, v)| AgentInterface {
            url,
            protocol_binding: b.to_owned(),
            tenant,
            protocol_version: v.to_owned(),
        })
}

/// A valid skill.
pub fn agent_skill() -> impl Strategy<Value = AgentSkill> {
    (
        id(),
        "[A-Za-z ]{1,12}",
        "[A-Za-z ]{1,20}",
        vec(id(), 1..3),
        vec(text(), 0..2),
        vec(media_type(), 0..2),
        vec(media_type(), 0..2),
        vec(security_requirement(), 0..2),
    )
        .prop_map(
            |(
                id,
                name,
                description,
                tags,
                examples,
                input_modes,
                output_modes,
                security_requirements,
            )| AgentSkill {
                id,
                name,
                description,
                tags,
                examples,
                input_modes,
                output_modes,
                security_requirements,
            },
        )
}

/// Valid capabilities.
pub fn capabilities() -> impl Strategy<Value = AgentCapabilities> {
    let ext = (url(), text(), any::<bool>(), opt_metadata()).prop_map(
        |(uri, description, required, params)| AgentExtension {
            uri,
            description,
            required,
            params,
        },
    );
    (
        option::of(any::<bool>()),
        option::of(any::<bool>()),
        vec(ext, 0..2),
        option::of(any::<bool>()),
    )
        .prop_map(
            |(streaming, push_notifications, extensions, extended_agent_card)| AgentCapabilities {
                streaming,
                push_notifications,
                extensions,
                extended_agent_card,
            },
        )
}

/// A valid agent card.
pub fn agent_card() -> impl Strategy<Value = AgentCard> {
    let provider = (url(), "[A-Za-z ]{1,12}")
        .prop_map(|(url, organization)| AgentProvider { url, organization });
    let signature = ("[A-Za-z0-9_-]{4,16}", "[A-Za-z0-9_-]{4,16}", opt_metadata()).prop_map(
        |(protected, signature, header)| AgentCardSignature {
            protected,
            signature,
            header,
        },
    );
    (
        (
            "[A-Za-z ]{1,12}",
            "[A-Za-z ]{1,24}",
            vec(agent_interface(), 1..3),
            option::of(provider),
            "[0-9]\\.[0-9]\\.[0-9]",
        ),
        (
            option::of(url()),
            capabilities(),
            btree_map(id(), security_scheme(), 0..3),
            vec(security_requirement(), 0..2),
        ),
        (
            vec(media_type(), 1..3),
            vec(media_type(), 1..3),
            vec(agent_skill(), 1..3),
            vec(signature, 0..2),
            option::of(url()),
        ),
    )
        .prop_map(
            |(
                (name, description, supported_interfaces, provider, version),
                (documentation_url, capabilities, security_schemes, security_requirements),
                (default_input_modes, default_output_modes, skills, signatures, icon_url),
            )| AgentCard {
                name,
                description,
                supported_interfaces,
                provider,
                version,
                documentation_url,
                capabilities,
                security_schemes,
                security_requirements,
                default_input_modes,
                default_output_modes,
                skills,
                signatures,
                icon_url,
            },
        )
}

fn tenant() -> impl Strategy<Value = String> {
    prop_oneof![3 => Just(String::new()), 1 => id()]
}

/// A valid `SendMessage` request.
pub fn send_message_request() -> impl Strategy<Value = SendMessageRequest> {
    let config = (
        vec(media_type(), 0..2),
        option::of(push_config()),
        option::of(0i32..100),
        any::<bool>(),
    )
        .prop_map(
            |(
                accepted_output_modes,
                mut task_push_notification_config,
                history_length,
                return_immediately,
            )| {
                if let Some(c) = task_push_notification_config.as_mut() {
                    c.task_id.clear();
                }
                SendMessageConfiguration {
                    accepted_output_modes,
                    task_push_notification_config,
                    history_length,
                    return_immediately,
                }
            },
        );
    (tenant(), message(), option::of(config), opt_metadata()).prop_map(
        |(tenant, message, configuration, metadata)| SendMessageRequest {
            tenant,
            message,
            configuration,
            metadata,
        },
    )
}

/// Any valid request of the 11 operations.
pub fn a2a_request() -> impl Strategy<Value = A2aRequest> {
    prop_oneof![
        send_message_request().prop_map(A2aRequest::SendMessage),
        send_message_request().prop_map(A2aRequest::SendStreamingMessage),
        (tenant(), id(), option::of(0i32..50)).prop_map(|(tenant, id, history_length)| {
            A2aRequest::GetTask(GetTaskRequest {
                tenant,
                id,
                history_length,
            })
        }),
        (
            tenant(),
            prop_oneof![Just(String::new()), id()],
            proptest::sample::select(TaskState::ALL),
            option::of(1i32..=100),
            prop_oneof![Just(String::new()), id()],
            option::of(0i32..50),
            option::of(timestamp()),
            option::of(any::<bool>())
        )
            .prop_map(
                |(
                    tenant,
                    context_id,
                    status,
                    page_size,
                    page_token,
                    history_length,
                    status_timestamp_after,
                    include_artifacts,
                )| {
                    A2aRequest::ListTasks(ListTasksRequest {
                        tenant,
                        context_id,
                        status,
                        page_size,
                        page_token,
                        history_length,
                        status_timestamp_after,
                        include_artifacts,
                    })
                }
            ),
        (tenant(), id(), opt_metadata()).prop_map(|(tenant, id, metadata)| A2aRequest::CancelTask(
            CancelTaskRequest {
                tenant,
                id,
                metadata
            }
        )),
        (tenant(), id()).prop_map(|(tenant, id)| A2aRequest::SubscribeToTask(
            SubscribeToTaskRequest { tenant, id }
        )),
        push_config().prop_map(A2aRequest::CreateTaskPushNotificationConfig),
        (tenant(), id(), id()).prop_map(|(tenant, task_id, id)| {
            A2aRequest::GetTaskPushNotificationConfig(GetTaskPushNotificationConfigRequest {
                tenant,
                task_id,
                id,
            })
        }),
        (
            tenant(),
            id(),
            0i32..100,
            prop_oneof![Just(String::new()), id()]
        )
            .prop_map(|(tenant, task_id, page_size, page_token)| {
                A2aRequest::ListTaskPushNotificationConfigs(
                    ListTaskPushNotificationConfigsRequest {
                        tenant,
                        task_id,
                        page_size,
                        page_token,
                    },
                )
            }),
        (tenant(), id(), id()).prop_map(|(tenant, task_id, id)| {
            A2aRequest::DeleteTaskPushNotificationConfig(DeleteTaskPushNotificationConfigRequest {
                tenant,
                task_id,
                id,
            })
        }),
        tenant().prop_map(
            |tenant| A2aRequest::GetExtendedAgentCard(GetExtendedAgentCardRequest { tenant })
        ),
    ]
}

/// A valid `ListTasks` response.
pub fn list_tasks_response() -> impl Strategy<Value = ListTasksResponse> {
    (
        vec(task(), 0..3),
        prop_oneof![Just(String::new()), id()],
        1i32..=100,
        0i32..1000,
    )
        .prop_map(
            |(tasks, next_page_token, page_size, total_size)| ListTasksResponse {
                tasks,
                next_page_token,
                page_size,
                total_size,
            },
        )
}

/// A valid push-config list response.
pub fn list_push_configs_response() -> impl Strategy<Value = ListTaskPushNotificationConfigsResponse>
{
    (
        vec(push_config(), 0..3),
        prop_oneof![Just(String::new()), id()],
    )
        .prop_map(
            |(configs, next_page_token)| ListTaskPushNotificationConfigsResponse {
                configs,
                next_page_token,
            },
        )
}
