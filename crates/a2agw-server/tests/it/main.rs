//! End-to-end tests of the server over real sockets.

mod checklist;
mod grpc;
mod jsonrpc;
mod jwt;
mod push;
mod rest;
mod support;
