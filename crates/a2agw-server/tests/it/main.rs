//! End-to-end tests of the server over real sockets.

mod access;
mod agents;
mod card;
mod card_fetch;
mod card_urls;
mod catalog;
mod checklist;
mod grpc;
mod jsonrpc;
mod jwt;
mod limits;
mod push;
mod rest;
mod signing;
mod support;
