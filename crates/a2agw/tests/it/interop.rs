//! The official Python SDK (`a2a-sdk` 1.x, A2A 1.0) against the gateway binary, on each
//! binding the card declares: the SDK resolves `/.well-known/agent-card.json` and its client
//! factory is restricted to one binding at a time (`tests/python/interop.py`).

use crate::support::{Gateway, python, run_script};

/// Runs `interop.py <url> <transport> <scenario>` against a fresh gateway with the default
/// configuration.
fn sdk(transport: &str, scenario: &str) {
    let Some(python) = python() else { return };
    let gateway = Gateway::start();
    run_script(
        python,
        &gateway,
        "interop.py",
        &[transport, scenario],
        &[scenario],
    );
}

/// The `list` scenario needs callers the gateway can tell apart: API keys for `alice` and
/// `bob`, anonymous access off. The SDK sends the keys through its `AuthInterceptor`, from
/// the security scheme the card declares.
fn sdk_list(transport: &str) {
    let Some(python) = python() else { return };
    let (alice, bob) = ("alice-interop-key", "bob-interop-key");
    let config = format!(
        "[auth]\nanonymous = false\n\n[auth.api_keys]\nalice = \"{}\"\nbob = \"{}\"\n",
        a2agw_server::hash_key(alice),
        a2agw_server::hash_key(bob)
    );
    let gateway = Gateway::start_with(Some(&config));
    let alice_arg = format!("alice={alice}");
    let bob_arg = format!("bob={bob}");
    run_script(
        python,
        &gateway,
        "interop.py",
        &[transport, "list", "--key", &alice_arg, "--key", &bob_arg],
        &["list"],
    );
}

macro_rules! sdk_tests {
    ($binding:ident, $transport:literal) => {
        /// The official SDK's 1.0 client over this binding.
        mod $binding {
            use super::{sdk, sdk_list};

            /// Blocking SendMessage: the completed task, with the echo as its artifact.
            #[test]
            fn c14_c15_c16_c21_send_returns_the_completed_task_with_the_echo() {
                sdk($transport, "send");
            }

            /// SendStreamingMessage: the task first, updates of that task, the terminal
            /// status last; the artifact chunks reassemble, also in a later GetTask.
            #[test]
            fn c37_c39_c40_c46_stream_in_order_and_chunks_reassemble() {
                sdk($transport, "stream");
            }

            /// GetTask returns the task; historyLength 0 and 1 bound the history.
            #[test]
            fn c25_c27_get_task_with_history_length() {
                sdk($transport, "get");
            }

            /// ListTasks: only the caller's tasks, newest first, paged with tokens.
            #[test]
            fn c28_c29_c30_c75_list_tasks_of_the_caller_paged() {
                sdk_list($transport);
            }

            /// CancelTask on a `slow 100` task sent with returnImmediately: CANCELED.
            #[test]
            fn c22_c34_cancel_a_working_task() {
                sdk($transport, "cancel");
            }

            /// A `slow 5` stream dropped after 2 events; SubscribeToTask gets the task,
            /// then every later step to completion.
            #[test]
            fn c39_c40_c42_subscribe_after_disconnect_gets_the_rest() {
                sdk($transport, "subscribe");
            }

            /// Push config create/get/list/delete (delete twice; get after delete is
            /// TaskNotFound). A refusal of the loopback webhook URL (SSRF guard) with
            /// invalid params is accepted and reported.
            #[test]
            fn c47_c48_c49_push_config_create_get_list_delete() {
                sdk($transport, "push");
            }

            /// A2A errors arrive as the SDK's error types (TaskNotFound,
            /// TaskNotCancelable, UnsupportedOperation; invalid params).
            #[test]
            fn c17_c18_c26_c31_c35_c36_c43_c50_errors_map_to_the_sdk_types() {
                sdk($transport, "errors");
            }
        }
    };
}

sdk_tests!(jsonrpc, "JSONRPC");
sdk_tests!(http_json, "HTTP+JSON");
sdk_tests!(grpc, "GRPC");
