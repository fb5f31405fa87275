//! `plugin_projects`: where a plugin is enabled and how it is configured, per
//! repository (`owner/name`) or for every repository (`*`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plugin_projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plugin: String,
    pub project: String,
    pub enabled: Option<bool>,
    pub config: Option<String>,
    pub effective_config: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
