//! The real `azure_identity` credentials, built from `AzureCredentialConfig`, getting
//! their tokens from the fake's Entra token endpoint.

use super::*;
use a2agw_provider_azure::AzureCredentialConfig;
use std::io::Write;

fn client_secret(fake: &FakeServer, secret: &str) -> AzureCredentialConfig {
    AzureCredentialConfig::ClientSecret {
        tenant_id: fake::TENANT_ID.into(),
        client_id: fake::CLIENT_ID.into(),
        client_secret: secret.into(),
        authority_host: Some(fake.authority_host()),
    }
}

fn with_credential(fake: &FakeServer, credential: &AzureCredentialConfig) -> AzureAgentsProvider {
    AzureAgentsProvider::new(config(fake, "plain"), credential.build().unwrap()).unwrap()
}

fn echo(text: &str) -> Vec<Result<ProviderEvent, ProviderError>> {
    with(
        started(),
        vec![
            chunk("msg_2", "echo: ", false, false),
            chunk("msg_2", text, true, true),
            save(json!({"thread_id": "thread_1"})),
            state(TaskState::Completed),
        ],
    )
}

#[tokio::test]
async fn client_secret_credential_gets_its_token_from_the_authority_host() {
    let fake = start().await;
    let p = with_credential(&fake, &client_secret(&fake, fake::CLIENT_SECRET));
    // The fake agent accepts only the bearer token its token endpoint issued.
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    assert_eq!(events, echo("hi"));
    let tokens = fake.token_requests();
    assert_eq!(tokens.len(), 1, "the token is cached: {tokens:?}");
    let t = &tokens[0];
    assert_eq!(t["tenant"], fake::TENANT_ID);
    assert_eq!(t["client_id"], fake::CLIENT_ID);
    assert_eq!(t["grant_type"], "client_credentials");
    assert_eq!(t["scope"], "https://ai.azure.com/.default");
}

#[tokio::test]
async fn a_wrong_client_secret_is_unavailable_and_never_echoed() {
    let fake = start().await;
    let credential = client_secret(&fake, "wrong-secret-value");
    let p = with_credential(&fake, &credential);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("hi")).await;
    let [Err(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(e.kind, ProviderErrorKind::Unavailable);
    assert!(
        e.message.starts_with(
            "could not get a Microsoft Entra token for scope `https://ai.azure.com/.default` \
             from the configured Azure credential: ClientSecretCredential authentication \
             failed. AADSTS7000215: Invalid client secret provided."
        ),
        "{}",
        e.message
    );
    for shown in [
        e.message.clone(),
        format!("{credential:?}"),
        format!("{p:?}"),
    ] {
        assert!(!shown.contains("wrong-secret-value"), "{shown}");
    }
    assert!(fake.requests().is_empty(), "no agent call without a token");
}

#[tokio::test]
async fn workload_identity_exchanges_the_federated_token() {
    let fake = start().await;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(fake::FEDERATED_TOKEN.as_bytes()).unwrap();
    let credential = AzureCredentialConfig::WorkloadIdentity {
        tenant_id: Some(fake::TENANT_ID.into()),
        client_id: Some(fake::CLIENT_ID.into()),
        token_file: Some(file.path().to_owned()),
        authority_host: Some(fake.authority_host()),
    };
    let p = with_credential(&fake, &credential);
    let events = run(&p, ctx(TaskState::Unspecified, None), user("from k8s")).await;
    assert_eq!(events, echo("from k8s"));
    let tokens = fake.token_requests();
    assert_eq!(
        tokens[0]["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
}

#[test]
fn settings_errors_are_reported_when_building() {
    let message = |c: AzureCredentialConfig| match c.build() {
        Ok(_) => panic!("{c:?} built"),
        Err(e) => {
            assert_eq!(e.kind, ProviderErrorKind::Other);
            e.message
        }
    };
    let m = message(AzureCredentialConfig::ClientSecret {
        tenant_id: "not a tenant".into(),
        client_id: "c".into(),
        client_secret: "s3cret-value".into(),
        authority_host: None,
    });
    assert!(
        m.starts_with(
            "could not set up the Azure credential `client_secret`: invalid tenant ID not a tenant"
        ),
        "{m}"
    );
    assert!(!m.contains("s3cret-value"));
    let m = message(AzureCredentialConfig::ClientSecret {
        tenant_id: "t".into(),
        client_id: "c".into(),
        client_secret: "s".into(),
        authority_host: Some("http://login.example.com".into()),
    });
    assert!(m.contains("must be an https URL"), "{m}");
    let m = message(AzureCredentialConfig::WorkloadIdentity {
        tenant_id: Some("t".into()),
        client_id: Some("c".into()),
        token_file: Some("/nonexistent/a2agw/token".into()),
        authority_host: None,
    });
    assert!(
        m.starts_with(
            "could not set up the Azure credential `workload_identity`: failed to read \
             federated token from file /nonexistent/a2agw/token"
        ),
        "{m}"
    );
}

#[test]
fn managed_identity_and_azure_cli_build_without_calling_anything() {
    // Building makes no request (IMDS or `az` run only when a token is needed).
    for c in [
        AzureCredentialConfig::ManagedIdentity { client_id: None },
        AzureCredentialConfig::ManagedIdentity {
            client_id: Some("00000000-0000-0000-0000-000000000001".into()),
        },
        AzureCredentialConfig::AzureCli { tenant_id: None },
        AzureCredentialConfig::AzureCli {
            tenant_id: Some("contoso.onmicrosoft.com".into()),
        },
    ] {
        let kind = c.kind();
        c.build().unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
}
