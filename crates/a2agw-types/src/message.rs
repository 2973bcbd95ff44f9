//! `Message`, `Role` and `Part`.

use crate::Metadata;
use crate::serde_util::{self, proto_enum};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

proto_enum! {
    /// Who sent a message.
    pub enum Role {
        /// Not set; never valid on a real message.
        #[default]
        Unspecified = 0 => "ROLE_UNSPECIFIED",
        /// Client to server.
        User = 1 => "ROLE_USER",
        /// Server to client.
        Agent = 2 => "ROLE_AGENT",
    }
}

/// One unit of communication between client and agent.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Unique id, chosen by the message's creator. REQUIRED.
    #[serde(
        alias = "message_id",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub message_id: String,
    /// The context this message belongs to.
    #[serde(
        alias = "context_id",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub context_id: String,
    /// The task this message belongs to.
    #[serde(
        alias = "task_id",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub task_id: String,
    /// Sender. REQUIRED (not `ROLE_UNSPECIFIED`).
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub role: Role,
    /// Content. REQUIRED, at least one.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub parts: Vec<Part>,
    /// Extension and custom data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// URIs of extensions that contributed to this message.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub extensions: Vec<String>,
    /// Ids of related tasks.
    #[serde(
        alias = "reference_task_ids",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub reference_task_ids: Vec<String>,
}

impl Message {
    /// A message from `role` with one text part.
    pub fn text(role: Role, message_id: impl Into<String>, text: impl Into<String>) -> Self {
        Message {
            message_id: message_id.into(),
            role,
            parts: vec![Part::text(text)],
            ..Message::default()
        }
    }

    /// The concatenation of all text parts.
    pub fn text_content(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match &p.content {
                PartContent::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("")
    }
}

/// The content of a [`Part`]: exactly one of these (proto oneof `content`).
#[derive(Clone, Debug, PartialEq)]
pub enum PartContent {
    /// Plain text.
    Text(String),
    /// Inline bytes (base64 in JSON).
    Raw(Vec<u8>),
    /// A reference to content at a URL.
    Url(String),
    /// Any JSON value.
    Data(serde_json::Value),
}

impl Default for PartContent {
    fn default() -> Self {
        PartContent::Text(String::new())
    }
}

/// A piece of content in a message or artifact.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Part {
    /// The content itself.
    pub content: PartContent,
    /// Extension and custom data.
    pub metadata: Option<Metadata>,
    /// File name, for file-like content.
    pub filename: String,
    /// Media (MIME) type of the content.
    pub media_type: String,
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Part {
            content: PartContent::Text(text.into()),
            ..Part::default()
        }
    }

    /// A data part.
    pub fn data(value: serde_json::Value) -> Self {
        Part {
            content: PartContent::Data(value),
            ..Part::default()
        }
    }

    /// A raw-bytes part.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Self {
        Part {
            content: PartContent::Raw(bytes.into()),
            ..Part::default()
        }
    }

    /// A URL (file reference) part.
    pub fn url(url: impl Into<String>) -> Self {
        Part {
            content: PartContent::Url(url.into()),
            ..Part::default()
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_b64"
    )]
    raw: Option<&'a [u8]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
    #[serde(skip_serializing_if = "str::is_empty")]
    filename: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    media_type: &'a str,
}

// The signature is fixed by serde's `serialize_with`.
#[allow(clippy::ref_option)]
fn ser_opt_b64<S: Serializer>(v: &Option<&[u8]>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(b) => serde_util::ser_b64(b, s),
        None => s.serialize_none(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartIn {
    #[serde(default)]
    text: Option<String>,
    #[serde(default, with = "serde_util::opt_b64")]
    raw: Option<Vec<u8>>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, deserialize_with = "serde_util::present_value")]
    data: Option<serde_json::Value>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default, deserialize_with = "serde_util::null_default")]
    filename: String,
    #[serde(
        alias = "media_type",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    media_type: String,
}

impl Serialize for Part {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = PartOut {
            text: None,
            raw: None,
            url: None,
            data: None,
            metadata: self.metadata.as_ref(),
            filename: &self.filename,
            media_type: &self.media_type,
        };
        match &self.content {
            PartContent::Text(t) => out.text = Some(t),
            PartContent::Raw(b) => out.raw = Some(b),
            PartContent::Url(u) => out.url = Some(u),
            PartContent::Data(d) => out.data = Some(d),
        }
        out.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = PartIn::deserialize(d)?;
        let mut contents = Vec::with_capacity(1);
        if let Some(t) = p.text {
            contents.push(PartContent::Text(t));
        }
        if let Some(b) = p.raw {
            contents.push(PartContent::Raw(b));
        }
        if let Some(u) = p.url {
            contents.push(PartContent::Url(u));
        }
        if let Some(v) = p.data {
            contents.push(PartContent::Data(v));
        }
        if contents.len() > 1 {
            return Err(D::Error::custom(
                "a Part holds exactly one of `text`, `raw`, `url`, `data`; several were given",
            ));
        }
        let content = contents
            .pop()
            .ok_or_else(|| D::Error::custom("a Part needs one of `text`, `raw`, `url`, `data`"))?;
        Ok(Part {
            content,
            metadata: p.metadata,
            filename: p.filename,
            media_type: p.media_type,
        })
    }
}
