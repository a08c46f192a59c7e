//! Derived facts every check needs: which tables are in scope, who is exempt
//! from RLS, which policies apply to which role, who holds which privilege.
//! Semantics follow PostgreSQL 15-18 (see docs/checks.md and the reference
//! notes): superusers and BYPASSRLS roles are exempt; table owners (and roles
//! that inherit the owner's privileges) are exempt unless FORCE; policies
//! apply through inherited membership only.

use super::finding::{Check, Finding};
use super::snapshot::{Function, Oid, Policy, Role, Snapshot, Table, PUBLIC};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Schemas to audit; `None`: `pgrst.db_schemas` if set, else every
    /// non-system schema.
    pub schemas: Option<Vec<String>>,
    /// Roles clients use (besides PUBLIC).
    pub client_roles: Vec<String>,
    /// Column names that mark a tenant table.
    pub tenant_columns: Vec<String>,
    /// Schemas never audited (tenant_guard's own).
    pub skip_schemas: Vec<String>,
    /// `tenant_guard.require_verified`: identity.* ignore claims in settings.
    pub require_verified: bool,
    /// `tenant_guard.trusted_session_users`: identity.* believe claims in
    /// settings only from these logins.
    pub trusted_session_users: Vec<String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            schemas: None,
            client_roles: vec!["anon".into(), "authenticated".into()],
            tenant_columns: vec![
                "organization_id".into(),
                "org_id".into(),
                "tenant_id".into(),
            ],
            skip_schemas: vec!["identity".into(), "tenant_guard".into()],
            require_verified: false,
            trusted_session_users: Vec::new(),
        }
    }
}

/// SQL privilege names as `aclexplode` reports them.
pub const WRITE_PRIVILEGES: [&str; 3] = ["INSERT", "UPDATE", "DELETE"];

pub struct Ctx<'a> {
    pub snap: &'a Snapshot,
    pub config: &'a AuditConfig,
    pub tables: HashMap<Oid, &'a Table>,
    pub functions: HashMap<Oid, &'a Function>,
    pub roles: HashMap<Oid, &'a Role>,
    pub policies_by_table: HashMap<Oid, Vec<&'a Policy>>,
    /// Audited schemas, by name.
    pub schemas: HashSet<String>,
    /// Client roles that exist, as OIDs (PUBLIC not included).
    pub client_roles: Vec<Oid>,
    /// Tables other tables' policies read, worked out once
    /// (`checks::membership::relied_on`).
    pub relied_on: std::cell::OnceCell<std::collections::BTreeMap<Oid, Vec<String>>>,
}

impl<'a> Ctx<'a> {
    pub fn new(snap: &'a Snapshot, config: &'a AuditConfig) -> Ctx<'a> {
        let mut policies_by_table: HashMap<Oid, Vec<&Policy>> = HashMap::new();
        for p in &snap.policies {
            policies_by_table.entry(p.table).or_default().push(p);
        }
        let requested: Option<Vec<String>> = config.schemas.clone().or_else(|| {
            snap.settings.pgrst_db_schemas.as_ref().and_then(|s| {
                let v: Vec<String> = s
                    .split(',')
                    .map(|x| x.trim().trim_matches('"').to_owned())
                    .filter(|x| !x.is_empty())
                    .collect();
                (!v.is_empty()).then_some(v)
            })
        });
        let schemas = snap
            .schemas
            .iter()
            .filter(|s| !s.extension_member && !config.skip_schemas.contains(&s.name))
            .filter(|s| requested.as_ref().is_none_or(|r| r.contains(&s.name)))
            .map(|s| s.name.clone())
            .collect();
        let client_roles = config
            .client_roles
            .iter()
            .filter_map(|n| snap.role_by_name(n).map(|r| r.oid))
            .collect();
        Ctx {
            snap,
            config,
            tables: snap.tables.iter().map(|t| (t.oid, t)).collect(),
            functions: snap.functions.iter().map(|f| (f.oid, f)).collect(),
            roles: snap.roles.iter().map(|r| (r.oid, r)).collect(),
            policies_by_table,
            schemas,
            client_roles,
            relied_on: std::cell::OnceCell::new(),
        }
    }

    /// Tables (and views) audited: in an audited schema, not an extension's,
    /// not a partition (partitions are audited at the parent).
    pub fn audited_tables(&self) -> impl Iterator<Item = &'a Table> + '_ {
        self.snap.tables.iter().filter(move |t| {
            self.schemas.contains(&t.schema) && !t.extension_member && t.partition_of.is_none()
        })
    }

    pub fn policies(&self, table: Oid) -> &[&'a Policy] {
        self.policies_by_table
            .get(&table)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Roles whose privileges `role` has: itself, and every role it is a
    /// member of through INHERIT chains (a NOINHERIT role stops the chain).
    pub fn privileges_of(&self, role: Oid) -> HashSet<Oid> {
        let mut seen = HashSet::from([role]);
        let mut stack = vec![role];
        while let Some(r) = stack.pop() {
            let Some(info) = self.roles.get(&r) else {
                continue;
            };
            if !info.inherit {
                continue;
            }
            for &parent in &info.member_of {
                if seen.insert(parent) {
                    stack.push(parent);
                }
            }
        }
        seen
    }

    /// Does a policy with these `TO` roles apply to `role`?
    pub fn policy_applies(&self, policy: &Policy, role: Oid) -> bool {
        if policy.roles.contains(&PUBLIC) {
            return true;
        }
        let mine = self.privileges_of(role);
        policy.roles.iter().any(|r| mine.contains(r))
    }

    /// Is `role` exempt from RLS on `table` (superuser, BYPASSRLS, or the owner
    /// or a member with its privileges while FORCE is off)?
    pub fn exempt(&self, role: Oid, table: &Table) -> bool {
        if role == PUBLIC {
            return false;
        }
        if let Some(r) = self.roles.get(&role) {
            if r.superuser || r.bypassrls {
                return true;
            }
        }
        !table.force_rls && self.privileges_of(role).contains(&table.owner)
    }

    /// Privileges `role` holds on an object's ACL: its own grants, PUBLIC's,
    /// and those of roles it inherits from.
    pub fn acl_privileges(&self, acl: &[super::snapshot::AclItem], role: Oid) -> HashSet<String> {
        let mine = if role == PUBLIC {
            HashSet::from([PUBLIC])
        } else {
            let mut m = self.privileges_of(role);
            m.insert(PUBLIC);
            m
        };
        acl.iter()
            .filter(|a| mine.contains(&a.grantee))
            .map(|a| a.privilege.clone())
            .collect()
    }

    pub fn schema_usage(&self, schema: &str, role: Oid) -> bool {
        self.snap
            .schemas
            .iter()
            .find(|s| s.name == schema)
            .is_some_and(|s| self.acl_privileges(&s.acl, role).contains("USAGE"))
    }

    /// A role whose SQL the end users write through the API (PostgREST's and
    /// Supabase's `anon` and `authenticated`, and PUBLIC), as opposed to an
    /// application backend's own role running the app's queries.
    pub fn is_api_role(&self, role: Oid) -> bool {
        role == PUBLIC || matches!(self.role_name(role).as_str(), "anon" | "authenticated")
    }

    /// Client roles to evaluate: the configured ones that exist, then PUBLIC.
    pub fn clients(&self) -> Vec<Oid> {
        let mut v = self.client_roles.clone();
        v.push(PUBLIC);
        v
    }

    /// Can some client role reach the table (USAGE on its schema and a table privilege)?
    pub fn client_privileges(&self, table: &Table) -> Vec<(Oid, HashSet<String>)> {
        self.clients()
            .into_iter()
            .filter(|&r| self.schema_usage(&table.schema, r))
            .map(|r| (r, self.acl_privileges(&table.acl, r)))
            .filter(|(_, p)| !p.is_empty())
            .collect()
    }

    /// Can `role` run a statement of policy command `cmd` (`r`, `a`, `w`, `d`;
    /// `*`: any of them) on `table`: USAGE on its schema and the privilege?
    /// Without it the statement fails with 42501 before any policy is read.
    pub fn can_run(&self, table: &Table, role: Oid, cmd: &str) -> bool {
        if !self.schema_usage(&table.schema, role) {
            return false;
        }
        let held = self.acl_privileges(&table.acl, role);
        let needed: &[&str] = match cmd {
            "r" => &["SELECT"],
            "a" => &["INSERT"],
            "w" => &["UPDATE"],
            "d" => &["DELETE"],
            _ => &["SELECT", "INSERT", "UPDATE", "DELETE"],
        };
        needed.iter().any(|p| held.contains(*p))
    }

    /// Configured client roles a policy on `table` applies to and that are
    /// subject to its RLS.
    pub fn policy_clients(&self, policy: &Policy, table: &Table) -> Vec<Oid> {
        self.client_roles
            .iter()
            .copied()
            .filter(|&r| !self.exempt(r, table) && self.policy_applies(policy, r))
            .collect()
    }

    /// Client roles (PUBLIC included) that may call a function: USAGE on its
    /// schema and EXECUTE.
    pub fn function_callers(&self, f: &Function) -> Vec<Oid> {
        self.clients()
            .into_iter()
            .filter(|&r| {
                self.schema_usage(&f.schema, r)
                    && self.acl_privileges(&f.acl, r).contains("EXECUTE")
            })
            .collect()
    }

    /// The condition a tenant policy on `table` should have, for remediation
    /// SQL: its tenant key compared with the caller's tenant, or a placeholder.
    pub fn tenant_condition(&self, table: &Table) -> String {
        self.tenant_key_column(table)
            .map(|c| {
                format!(
                    "{} = (SELECT identity.get_current_org_id())",
                    quote_ident(c)
                )
            })
            .unwrap_or_else(|| "<a condition on the row and the caller>".into())
    }

    /// The tenant column of a table, by configured name (first match).
    pub fn tenant_column(&self, table: &Table) -> Option<&'a super::snapshot::Column> {
        let t = self.tables.get(&table.oid)?;
        self.config
            .tenant_columns
            .iter()
            .find_map(|name| t.columns.iter().find(|c| &c.name == name))
    }

    /// The column a policy should compare with the caller's tenant: the tenant
    /// column, or `id` of a tenant root table (`organizations`, `tenants`, …).
    pub fn tenant_key_column(&self, table: &Table) -> Option<&'a str> {
        if let Some(c) = self.tenant_column(table) {
            return Some(c.name.as_str());
        }
        const ROOTS: [&str; 6] = [
            "organizations",
            "organization",
            "orgs",
            "tenants",
            "tenant",
            "accounts",
        ];
        if ROOTS.contains(&table.name.as_str()) {
            let t = self.tables.get(&table.oid)?;
            return t
                .columns
                .iter()
                .find(|c| c.name == "id" && c.type_name == "uuid")
                .map(|c| c.name.as_str());
        }
        None
    }

    pub fn column_name(&self, table: Oid, num: i64) -> Option<&'a str> {
        self.tables
            .get(&table)?
            .columns
            .iter()
            .find(|c| i64::from(c.num) == num)
            .map(|c| c.name.as_str())
    }

    pub fn role_name(&self, oid: Oid) -> String {
        self.snap.role_name(oid)
    }

    /// A finding for `check` on `table` (and optionally a policy).
    pub fn finding(
        &self,
        check: &'static Check,
        table: Option<&Table>,
        policy: Option<&Policy>,
        detail: String,
        remediation: String,
    ) -> Finding {
        let object = table.map(|t| qualified(&t.schema, &t.name));
        self.finding_on(check, table, policy, object, detail, remediation)
    }

    /// Like [`Ctx::finding`] with an explicit object (a function, a schema).
    pub fn finding_on(
        &self,
        check: &'static Check,
        table: Option<&Table>,
        policy: Option<&Policy>,
        object: Option<String>,
        detail: String,
        remediation: String,
    ) -> Finding {
        let mut key = format!("{}:{}", check.code, object.as_deref().unwrap_or("-"));
        if let Some(p) = policy {
            key.push(':');
            key.push_str(&p.name);
        }
        Finding {
            code: check.code,
            level: check.level,
            category: check.category,
            schema_name: table.map(|t| t.schema.clone()),
            table_name: table.map(|t| t.name.clone()),
            policy_name: policy.map(|p| p.name.clone()),
            object,
            title: check.title.to_owned(),
            detail,
            remediation,
            cache_key: key,
        }
    }
}

/// `regprocedure` text with the schema always present.
pub fn qualified_signature(f: &Function) -> String {
    let mut quoted = false;
    let mut split = f.signature.len();
    let mut dotted = false;
    for (i, ch) in f.signature.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            '.' if !quoted => dotted = true,
            '(' if !quoted => {
                split = i;
                break;
            }
            _ => {}
        }
    }
    if dotted {
        f.signature.clone()
    } else {
        format!(
            "{}.{}",
            quote_ident(&f.schema),
            &f.signature[..split].to_owned()
        ) + &f.signature[split..]
    }
}

/// Quotes an identifier the way `quote_ident` does (for remediation SQL).
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !RESERVED.contains(&name);
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `schema.name`, each part quoted when needed.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// Key words `quote_ident` quotes: PostgreSQL's reserved, type/function-name
/// and column-name key words (everything but the unreserved ones).
const RESERVED: &[&str] = &[
    // type_func_name_keyword
    "authorization",
    "binary",
    "collation",
    "concurrently",
    "cross",
    "current_schema",
    "freeze",
    "full",
    "ilike",
    "inner",
    "is",
    "isnull",
    "join",
    "left",
    "like",
    "natural",
    "notnull",
    "outer",
    "overlaps",
    "right",
    "similar",
    "tablesample",
    "verbose",
    // col_name_keyword
    "between",
    "bigint",
    "bit",
    "boolean",
    "char",
    "character",
    "coalesce",
    "dec",
    "decimal",
    "exists",
    "extract",
    "float",
    "greatest",
    "grouping",
    "inout",
    "int",
    "integer",
    "interval",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "least",
    "merge_action",
    "national",
    "nchar",
    "none",
    "normalize",
    "nullif",
    "numeric",
    "out",
    "overlay",
    "position",
    "precision",
    "real",
    "row",
    "setof",
    "smallint",
    "substring",
    "time",
    "timestamp",
    "treat",
    "trim",
    "values",
    "varchar",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
    // reserved_keyword
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// `polcmd` as SQL.
pub fn command_name(cmd: &str) -> &'static str {
    match cmd {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        _ => "ALL",
    }
}
