//! Conversions between the generated `lf.a2a.v1` messages ([`crate::v1`]) and
//! the `a2agw-types` data model.
//!
//! The mapping decisions are documented in the crate docs (`# Conversions`).

mod card;
mod error;
mod json;
mod requests;
mod status;
mod task;

pub use error::ConvertError;
pub use json::{json_to_struct, json_to_value, struct_to_json, value_to_json};
pub use status::{error_details, error_from_status, status_details};

use a2agw_types::{Metadata, Role, TaskState, Timestamp};
use error::At;

/// Converts every element, naming a failing one `field[i]`.
fn try_vec<P, T>(items: Vec<P>, field: &str) -> Result<Vec<T>, ConvertError>
where
    T: TryFrom<P, Error = ConvertError>,
{
    items
        .into_iter()
        .enumerate()
        .map(|(i, p)| T::try_from(p).map_err(|e| e.within(&format!("{field}[{i}]"))))
        .collect()
}

fn into_vec<T, P: From<T>>(items: Vec<T>) -> Vec<P> {
    items.into_iter().map(P::from).collect()
}

/// A message field with presence that maps to an `Option`.
fn try_opt<P, T>(value: Option<P>, field: &str) -> Result<Option<T>, ConvertError>
where
    T: TryFrom<P, Error = ConvertError>,
{
    value.map(T::try_from).transpose().at(field)
}

/// A REQUIRED message field: absent reads as the default, as in the JSON reader.
fn try_req<P, T>(value: Option<P>, field: &str) -> Result<T, ConvertError>
where
    T: TryFrom<P, Error = ConvertError> + Default,
{
    Ok(try_opt(value, field)?.unwrap_or_default())
}

fn metadata_from(
    value: Option<prost_types::Struct>,
    field: &str,
) -> Result<Option<Metadata>, ConvertError> {
    value.map(struct_to_json).transpose().at(field)
}

fn metadata_into(value: Option<Metadata>) -> Option<prost_types::Struct> {
    value.map(json_to_struct)
}

fn timestamp_from(ts: prost_types::Timestamp, field: &str) -> Result<Timestamp, ConvertError> {
    Timestamp::new(ts.seconds, ts.nanos).map_err(|_| ConvertError::Timestamp {
        field: field.to_owned(),
        seconds: ts.seconds,
        nanos: ts.nanos,
    })
}

fn timestamp_into(ts: Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ts.seconds(),
        nanos: ts.nanos(),
    }
}

fn task_state_from(value: i32, field: &str) -> Result<TaskState, ConvertError> {
    crate::v1::TaskState::try_from(value)
        .map(TaskState::from)
        .map_err(|_| ConvertError::EnumOutOfRange {
            field: field.to_owned(),
            enum_name: "TaskState",
            value,
        })
}

fn role_from(value: i32, field: &str) -> Result<Role, ConvertError> {
    crate::v1::Role::try_from(value)
        .map(Role::from)
        .map_err(|_| ConvertError::EnumOutOfRange {
            field: field.to_owned(),
            enum_name: "Role",
            value,
        })
}
