//! The conformance suite on the in-memory store.

use crate::conformance::conformance_tests;
use a2agw_task::MemoryStore;
use std::sync::Arc;

conformance_tests!(async { Arc::new(MemoryStore::new()) as Arc<dyn a2agw_task::TaskStore> });
