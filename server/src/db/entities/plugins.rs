//! `plugins`: installed plugins, with their component bytes and manifest.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plugins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub version: String,
    pub description: String,
    pub digest: String,
    pub sdk_version: Option<String>,
    pub manifest: String,
    pub component: Vec<u8>,
    pub size: i64,
    pub enabled: bool,
    pub installed_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
