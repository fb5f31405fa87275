//! Fixture: [`Config`]'s schema is written by hand (`JsonSchema` implemented, not
//! derived) and reads the configuration from the host first, which no plugin may do
//! while the host asks for its schema: loading it fails with a clear error.
use std::borrow::Cow;

use gantry_plugin_sdk::{config, Plugin};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

/// The fixture's configuration: any object.
struct Config;

impl JsonSchema for Config {
    fn schema_name() -> Cow<'static, str> {
        "Config".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        // A host call while the schema is derived: the host refuses it.
        let _ = config::raw();
        json_schema!({ "type": "object" })
    }
}

struct SchemaTrap;

impl Plugin for SchemaTrap {}

gantry_plugin_sdk::register_plugin!(SchemaTrap, config = Config);
