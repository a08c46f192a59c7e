//! The catalog as plain data: what `sql/queries/snapshot.sql` returns, parsed
//! with serde. Checks read only this, so they run (and are tested) without a
//! server.

use super::node::{self, Value};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashMap;

pub type Oid = u32;
/// `polroles` / ACL grantee for PUBLIC.
pub const PUBLIC: Oid = 0;

/// OIDs arrive as JSON strings (PostgreSQL renders `oid` as text) or numbers.
fn de_oid<'de, D: Deserializer<'de>>(d: D) -> Result<Oid, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum O {
        N(u32),
        S(String),
    }
    match O::deserialize(d)? {
        O::N(n) => Ok(n),
        O::S(s) => s.parse().map_err(serde::de::Error::custom),
    }
}

fn de_opt_oid<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Oid>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "de_oid")] Oid);
    Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
}

fn de_oids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Oid>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "de_oid")] Oid);
    Ok(Option::<Vec<W>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|w| w.0)
        .collect())
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct AclItem {
    #[serde(deserialize_with = "de_oid")]
    pub grantee: Oid,
    pub privilege: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Role {
    #[serde(deserialize_with = "de_oid")]
    pub oid: Oid,
    pub name: String,
    pub superuser: bool,
    pub bypassrls: bool,
    pub login: bool,
    pub inherit: bool,
    #[serde(deserialize_with = "de_oids")]
    pub member_of: Vec<Oid>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Schema {
    #[serde(deserialize_with = "de_oid")]
    pub oid: Oid,
    pub name: String,
    #[serde(deserialize_with = "de_oid")]
    pub owner: Oid,
    pub extension_member: bool,
    pub acl: Vec<AclItem>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Column {
    pub num: i32,
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub not_null: bool,
    /// Column-level privileges (`attacl`).
    #[serde(default)]
    pub acl: Vec<AclItem>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub partial: bool,
    pub valid: bool,
    /// Key columns in order; `None` for an expression column.
    #[serde(default)]
    pub columns: Option<Vec<Option<String>>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Table {
    #[serde(deserialize_with = "de_oid")]
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    /// `r` table, `p` partitioned, `v` view, `m` materialized view, `f` foreign.
    pub kind: String,
    #[serde(deserialize_with = "de_oid")]
    pub owner: Oid,
    pub rls: bool,
    pub force_rls: bool,
    #[serde(default, deserialize_with = "de_opt_oid")]
    pub partition_of: Option<Oid>,
    pub extension_member: bool,
    pub security_invoker: bool,
    /// Table and column privileges together (a column grant reaches the table).
    pub acl: Vec<AclItem>,
    /// Table-level privileges alone; `None` in snapshots taken before 0.2.0.
    #[serde(default)]
    pub own_acl: Option<Vec<AclItem>>,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    /// Foreign keys this table declares (absent in snapshots before 0.2.0).
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKey>,
    #[serde(deserialize_with = "de_oids")]
    pub view_relations: Vec<Oid>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ForeignKey {
    pub name: String,
    /// Column numbers, in key order.
    pub columns: Vec<i32>,
    #[serde(deserialize_with = "de_oid")]
    pub ref_table: Oid,
    pub ref_columns: Vec<i32>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Policy {
    #[serde(deserialize_with = "de_oid")]
    pub oid: Oid,
    #[serde(deserialize_with = "de_oid")]
    pub table: Oid,
    pub name: String,
    /// `r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE, `*` ALL.
    pub cmd: String,
    pub permissive: bool,
    #[serde(deserialize_with = "de_oids")]
    pub roles: Vec<Oid>,
    /// Node-tree text of USING / WITH CHECK (`None`: no expression).
    pub qual: Option<String>,
    pub with_check: Option<String>,
    pub qual_sql: Option<String>,
    pub with_check_sql: Option<String>,
    /// Parsed trees, filled by [`Snapshot::parse_expressions`].
    #[serde(skip)]
    pub qual_tree: Option<Value>,
    #[serde(skip)]
    pub with_check_tree: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Function {
    #[serde(deserialize_with = "de_oid")]
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    /// `regprocedure` text, e.g. `auth.uid()`.
    pub signature: String,
    pub language: String,
    pub security_definer: bool,
    /// `i`, `s`, `v`.
    pub volatility: String,
    #[serde(deserialize_with = "de_oid")]
    pub owner: Oid,
    /// `f` function, `p` procedure, `a` aggregate, `w` window.
    pub kind: String,
    pub returns: String,
    pub config: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_oids")]
    pub arg_types: Vec<Oid>,
    pub source: Option<String>,
    /// Node-tree text of a `BEGIN ATOMIC` body (`prosqlbody`).
    pub sql_body: Option<String>,
    /// Node-tree text of a `LANGUAGE sql` body parsed and analysed by the
    /// extension (`AS $$ … $$` bodies are stored as text only).
    #[serde(default)]
    pub analyzed_body: Option<String>,
    /// The parsed body (from `sql_body` or `analyzed_body`); `None` for other
    /// languages or when analysis failed.
    #[serde(skip)]
    pub body_tree: Option<Value>,
    pub extension_member: bool,
    pub acl: Vec<AclItem>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DefaultAcl {
    #[serde(deserialize_with = "de_oid")]
    pub role: Oid,
    #[serde(default, deserialize_with = "de_opt_oid")]
    pub schema: Option<Oid>,
    /// `r` tables, `S` sequences, `f` functions, `T` types, `n` schemas.
    pub objtype: String,
    pub acl: Vec<AclItem>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Settings {
    pub pgrst_db_schemas: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Snapshot {
    #[serde(deserialize_with = "de_oid")]
    pub database_owner: Oid,
    #[serde(default)]
    pub settings: Settings,
    pub roles: Vec<Role>,
    pub schemas: Vec<Schema>,
    pub tables: Vec<Table>,
    pub policies: Vec<Policy>,
    pub functions: Vec<Function>,
    pub default_acls: Vec<DefaultAcl>,
    /// Expressions that failed to parse: (policy or function oid, error). Reported, never fatal.
    #[serde(skip)]
    pub parse_errors: Vec<(Oid, String)>,
}

impl Snapshot {
    /// Parses the JSON document and every policy expression.
    pub fn from_json(text: &str) -> Result<Snapshot, String> {
        let mut s: Snapshot =
            serde_json::from_str(text).map_err(|e| format!("catalog snapshot: {e}"))?;
        s.parse_expressions();
        Ok(s)
    }

    /// SQL-language functions whose body the extension should analyse:
    /// (oid, source, argument types).
    pub fn sql_bodies_to_analyze(&self) -> Vec<(Oid, String, Vec<Oid>)> {
        self.functions
            .iter()
            .filter(|f| f.language == "sql" && f.sql_body.is_none() && f.analyzed_body.is_none())
            .filter_map(|f| Some((f.oid, f.source.clone()?, f.arg_types.clone())))
            .collect()
    }

    /// Attaches analysed bodies (node-tree text) and parses them.
    pub fn set_analyzed_bodies(&mut self, bodies: Vec<(Oid, String)>) {
        let mut by_oid: HashMap<Oid, String> = bodies.into_iter().collect();
        for f in &mut self.functions {
            if let Some(text) = by_oid.remove(&f.oid) {
                match node::parse(&text) {
                    Ok(v) => f.body_tree = Some(v),
                    Err(e) => self.parse_errors.push((f.oid, e)),
                }
                f.analyzed_body = Some(text);
            }
        }
    }

    fn parse_expressions(&mut self) {
        let mut errors = Vec::new();
        for f in &mut self.functions {
            if let Some(t) = f.sql_body.as_ref().or(f.analyzed_body.as_ref()) {
                match node::parse(t) {
                    Ok(v) => f.body_tree = Some(v),
                    Err(e) => errors.push((f.oid, e)),
                }
            }
        }
        for p in &mut self.policies {
            for (text, tree) in [
                (&p.qual, &mut p.qual_tree),
                (&p.with_check, &mut p.with_check_tree),
            ] {
                if let Some(t) = text {
                    match node::parse(t) {
                        Ok(v) => *tree = Some(v),
                        Err(e) => errors.push((p.oid, e)),
                    }
                }
            }
        }
        self.parse_errors = errors;
    }

    /// The snapshot as JSON (analysed bodies included), loadable with
    /// [`Snapshot::from_json`]: for bug reports and test fixtures.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn role_by_name(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn role_name(&self, oid: Oid) -> String {
        if oid == PUBLIC {
            return "PUBLIC".into();
        }
        self.roles
            .iter()
            .find(|r| r.oid == oid)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| format!("role {oid}"))
    }

    pub fn tables_by_oid(&self) -> HashMap<Oid, &Table> {
        self.tables.iter().map(|t| (t.oid, t)).collect()
    }

    pub fn functions_by_oid(&self) -> HashMap<Oid, &Function> {
        self.functions.iter().map(|f| (f.oid, f)).collect()
    }
}
