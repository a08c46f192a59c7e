//! Claim resolution: every trusted location is inspected, every valid candidate
//! must agree, and anything malformed, invalid or contradictory fails closed
//! (no tenant). The trail of what was inspected is what `explain_claims()`
//! shows and what `require_org_id()` puts in its DETAIL.

use super::config::{
    Config, ACTIVE_ORG_HEADER, ACTIVE_ORG_SETTING, CLAIMS_SETTING, HEADERS_SETTING, LEGACY_PREFIX,
    VERIFIED_SETTING,
};
use super::json::Json;
use super::path::ClaimPath;
use super::trust::{effective, VERIFIED_SOURCE};
use super::uuid;
use std::collections::{BTreeSet, HashMap};

/// Raw setting values as read from PostgreSQL. Empty strings mean absent:
/// PostgreSQL reports `''` for a setting after the transaction that set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    values: HashMap<String, String>,
    /// The login role (`session_user`), for `trusted_session_users`.
    session_user: Option<String>,
    /// Settings whose value was set at session level before this transaction.
    session_scoped: BTreeSet<String>,
}

impl Inputs {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.values.insert(name.to_owned(), value.into());
        self
    }
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set(name, value);
        self
    }
    pub fn set_session_user(&mut self, user: &str) -> &mut Self {
        self.session_user = Some(user.to_owned());
        self
    }
    pub fn session_user(&self) -> Option<&str> {
        self.session_user.as_deref()
    }
    /// Marks `name` as set at session level (`SET` without `LOCAL`) in an
    /// earlier transaction and still in force.
    pub fn mark_session_scoped(&mut self, name: &str) -> &mut Self {
        self.session_scoped.insert(name.to_owned());
        self
    }
    pub fn is_session_scoped(&self, name: &str) -> bool {
        self.session_scoped.contains(name)
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Whether tenant ids must be UUIDs (`get_current_org_id`) or are opaque keys
/// (`get_current_org_key`, for providers with ids like `org_2abc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Uuid,
    Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A valid value that is the result.
    Used,
    /// Nothing there (missing, JSON null or empty string).
    Absent,
    /// A value of the wrong form under a recognized key: fails closed.
    Invalid,
    /// A valid value that disagrees with another: fails closed.
    Conflict,
    /// Present in `user_metadata`, which is not trusted: ignored.
    Untrusted,
    /// A container of the wrong type (e.g. `app_metadata` not an object): ignored.
    Ignored,
    /// Not parseable JSON, or not a JSON object: fails closed.
    Malformed,
    /// The single id is not in the membership list: fails closed.
    NotMember,
    /// A valid value not used because resolution failed closed elsewhere.
    Unused,
    /// A setting left over from a session-level `SET` in an earlier
    /// transaction: still used, but a pooling hazard.
    SessionScoped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Used => "used",
            Status::Absent => "absent",
            Status::Invalid => "invalid",
            Status::Conflict => "conflict",
            Status::Untrusted => "untrusted",
            Status::Ignored => "ignored",
            Status::Malformed => "malformed",
            Status::NotMember => "not_member",
            Status::Unused => "unused",
            Status::SessionScoped => "session_scoped",
        }
    }
}

/// One inspected location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The setting read (`request.jwt.claims`, `request.jwt.claim.org_id`, `app.tenant_id`).
    pub source: String,
    /// Path inside it (`app_metadata.organization_id`), empty for the whole setting.
    pub path: String,
    /// The value as JSON text (truncated), `None` when absent.
    pub raw: Option<String>,
    pub status: Status,
    pub note: String,
}

/// Why no tenant was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Absent,
    Malformed,
    Invalid,
    Conflict,
    NotMember,
    /// A membership list with several ids and no single id naming the active one.
    Ambiguous,
    /// Claims are present only in settings that are not believed (see `trust`).
    Untrusted,
    /// The active organization (`tenant_guard.active_org`, the `x-org-id`
    /// header) is not one of the token's organizations.
    ActiveNotMember,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Absent => "absent",
            Failure::Malformed => "malformed",
            Failure::Invalid => "invalid",
            Failure::Conflict => "conflict",
            Failure::NotMember => "not_member",
            Failure::Ambiguous => "ambiguous",
            Failure::Untrusted => "untrusted",
            Failure::ActiveNotMember => "active_not_member",
        }
    }
    pub fn describe(self) -> &'static str {
        match self {
            Failure::Absent => "no tenant claim or setting is present",
            Failure::Malformed => "the claims are not a valid JSON object",
            Failure::Invalid => "a tenant claim holds a value of the wrong form",
            Failure::Conflict => "tenant claims in different locations disagree",
            Failure::NotMember => "the tenant id is not in the membership list",
            Failure::Ambiguous => "the membership list names several tenants and none is selected",
            Failure::Untrusted => "claims are present only in settings that are not trusted",
            Failure::ActiveNotMember => {
                "the active organization is not one of the token's organizations"
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub kind: IdKind,
    /// The tenant id in canonical text (lower-case hyphenated for UUIDs).
    pub tenant: Result<String, Failure>,
    /// Membership list (or the single tenant); `None` when resolution failed closed.
    pub tenant_ids: Option<Vec<String>>,
    pub trail: Vec<Step>,
}

impl Resolution {
    pub fn tenant_uuid(&self) -> Option<[u8; 16]> {
        match (&self.tenant, self.kind) {
            (Ok(t), IdKind::Uuid) => uuid::parse(t),
            _ => None,
        }
    }

    /// For an error DETAIL: one line per location that held something, then
    /// one line naming every location that held nothing.
    pub fn detail(&self) -> String {
        let mut lines = Vec::with_capacity(self.trail.len() + 1);
        let mut empty = Vec::new();
        for s in &self.trail {
            let loc = if s.path.is_empty() {
                s.source.clone()
            } else {
                format!("{} -> {}", s.source, s.path)
            };
            match (&s.raw, s.status) {
                (None, Status::Absent) => empty.push(loc),
                (raw, status) => {
                    let held = raw.as_deref().unwrap_or("nothing");
                    let note = if s.note.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", s.note)
                    };
                    lines.push(format!("{loc}: {held} [{}]{note}", status.as_str()));
                }
            }
        }
        if !empty.is_empty() {
            lines.push(format!("nothing at: {}", empty.join(", ")));
        }
        lines.join("\n")
    }
}

const RAW_LIMIT: usize = 200;

pub(crate) fn shorten(text: String) -> String {
    if text.len() <= RAW_LIMIT {
        return text;
    }
    let mut end = RAW_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &text[..end], text.len())
}

/// A value under a tenant key, checked for form.
fn check_single(v: &Json, kind: IdKind) -> Result<Option<String>, String> {
    match v {
        Json::Null => Ok(None),
        Json::Str(s) if s.is_empty() => Ok(None),
        Json::Str(s) => match kind {
            IdKind::Uuid => uuid::normalize(s)
                .map(Some)
                .ok_or_else(|| "not a UUID".to_owned()),
            IdKind::Key if s.contains('\0') => Err("contains a NUL character".into()),
            IdKind::Key => Ok(Some(s.clone())),
        },
        Json::Num(n) => match kind {
            IdKind::Key if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
            IdKind::Key => Err("a non-integer number".into()),
            IdKind::Uuid => Err("a number, not a UUID string".into()),
        },
        other => Err(format!("a JSON {}, not a string", other.kind())),
    }
}

/// A value under a membership-list key: an array of valid ids.
fn check_list(v: &Json, kind: IdKind) -> Result<Option<Vec<String>>, String> {
    match v {
        Json::Null => Ok(None),
        Json::Arr(items) => {
            let mut out: Vec<String> = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match check_single(item, kind) {
                    Ok(Some(id)) => {
                        if !out.contains(&id) {
                            out.push(id)
                        }
                    }
                    Ok(None) => return Err(format!("element {i} is empty")),
                    Err(e) => return Err(format!("element {i} is {e}")),
                }
            }
            Ok(Some(out))
        }
        other => Err(format!("a JSON {}, not an array", other.kind())),
    }
}

#[derive(Default)]
struct Collector {
    trail: Vec<Step>,
    /// (trail index, canonical id)
    singles: Vec<(usize, String)>,
    lists: Vec<(usize, Vec<String>)>,
    malformed: bool,
    invalid: bool,
    /// A key repeated in one object with different values: parsers disagree
    /// on which copy wins, so we pick none.
    duplicate: bool,
    /// Active-organization selectors: (trail index, canonical id).
    active: Vec<(usize, String)>,
}

impl Collector {
    fn step(
        &mut self,
        source: &str,
        path: &str,
        raw: Option<String>,
        status: Status,
        note: &str,
    ) -> usize {
        self.trail.push(Step {
            source: source.to_owned(),
            path: path.to_owned(),
            raw: raw.map(shorten),
            status,
            note: note.to_owned(),
        });
        self.trail.len() - 1
    }

    /// Inspects the values found at one location (several when a key repeats).
    #[allow(clippy::too_many_arguments)]
    fn inspect(
        &mut self,
        source: &str,
        path: &str,
        values: &[&Json],
        copies_missing: bool,
        list: bool,
        trusted: bool,
        kind: IdKind,
    ) {
        if values.is_empty() {
            if trusted {
                self.step(source, path, None, Status::Absent, "");
            }
            return;
        }
        if !trusted {
            // Never read, only reported: it cannot change the result, not even
            // through the repeated-key rule below.
            for v in values.iter().filter(|v| !matches!(v, Json::Null)) {
                self.step(source, path, Some(v.to_text()), Status::Untrusted,
                    "user_metadata is editable by the user; enable tenant_guard.trust_user_metadata only if your auth server controls it");
            }
            return;
        }
        let dup = values.len() > 1;
        let is_absent =
            |v: &&Json| matches!(v, Json::Null) || matches!(v, Json::Str(s) if s.is_empty());
        let some_absent = copies_missing || values.iter().any(is_absent);
        if (copies_missing || dup) && some_absent && !values.iter().all(is_absent) {
            // A repeated key (or container) that is absent in one copy and set in
            // another: parsers disagree on which copy wins, so pick none.
            self.duplicate = true;
            for v in values {
                self.step(source, path, Some(v.to_text()), Status::Conflict,
                    "key appears more than once and not every copy holds a value; parsers disagree on which wins");
            }
            return;
        }
        for v in values {
            let raw = Some(v.to_text());
            let note_dup = if dup {
                "key appears more than once"
            } else {
                ""
            };
            if list {
                match check_list(v, kind) {
                    Ok(None) => {
                        self.step(source, path, raw, Status::Absent, note_dup);
                    }
                    Ok(Some(ids)) => {
                        let i = self.step(source, path, raw, Status::Unused, note_dup);
                        self.lists.push((i, ids));
                    }
                    Err(e) => {
                        self.invalid = true;
                        self.step(source, path, raw, Status::Invalid, &e);
                    }
                }
            } else {
                match check_single(v, kind) {
                    Ok(None) => {
                        self.step(source, path, raw, Status::Absent, note_dup);
                    }
                    Ok(Some(id)) => {
                        let i = self.step(source, path, raw, Status::Unused, note_dup);
                        self.singles.push((i, id));
                    }
                    Err(e) => {
                        self.invalid = true;
                        self.step(source, path, raw, Status::Invalid, &e);
                    }
                }
            }
        }
    }

    /// Inspects one claims document (the JSON setting or the legacy settings).
    fn document(&mut self, source: &str, doc: &Json, config: &Config, kind: IdKind) {
        if let Some(paths) = config.tenant_paths() {
            self.document_paths(source, doc, config, paths, kind);
            return;
        }
        // Containers (app_metadata, user_metadata): every object copy, plus how
        // many copies there are in all (a repeated container is suspicious).
        let containers = |name: &str, this: &mut Collector| -> (Vec<Json>, usize) {
            let mut objs = Vec::new();
            let all = doc.get_all(name);
            let copies = all.len();
            for v in all {
                match v {
                    Json::Obj(_) => objs.push(v.clone()),
                    Json::Null => {}
                    other => {
                        this.step(
                            source,
                            name,
                            Some(other.to_text()),
                            Status::Ignored,
                            &format!("{name} is a JSON {}, not an object", other.kind()),
                        );
                    }
                }
            }
            (objs, copies)
        };
        let (app, app_copies) = containers("app_metadata", self);
        let (user, user_copies) = containers("user_metadata", self);
        // True when some copy of a repeated container lacks the key.
        let missing = |objs: &[Json], copies: usize, key: &str| {
            copies > 1 && objs.iter().filter(|o| !o.get_all(key).is_empty()).count() < copies
        };
        let trust = config.trust_user_metadata;
        for list in [false, true] {
            for key in &config.claim_keys {
                let key = if list {
                    Config::list_key(key)
                } else {
                    key.clone()
                };
                let in_app: Vec<&Json> = app.iter().flat_map(|o| o.get_all(&key)).collect();
                let app_missing = missing(&app, app_copies, &key);
                let path = format!("app_metadata.{key}");
                self.inspect(source, &path, &in_app, app_missing, list, true, kind);
                self.inspect(source, &key, &doc.get_all(&key), false, list, true, kind);
                let in_user: Vec<&Json> = user.iter().flat_map(|o| o.get_all(&key)).collect();
                let user_missing = missing(&user, user_copies, &key);
                let path = format!("user_metadata.{key}");
                self.inspect(source, &path, &in_user, user_missing, list, trust, kind);
            }
        }
    }
}

impl Collector {
    /// Path mode (a provider preset or `claim_paths`): each path's value is
    /// the tenant id (a string), or the user's organizations (an array, or
    /// an object: Keycloak's keyed by alias with an `id` in each member,
    /// Clerk v1's `orgs` keyed by organization id).
    fn document_paths(
        &mut self,
        source: &str,
        doc: &Json,
        config: &Config,
        paths: &[ClaimPath],
        kind: IdKind,
    ) {
        let lists = &config.preset().list_paths;
        for (path, list_only) in paths
            .iter()
            .map(|p| (p, false))
            .chain(lists.iter().map(|p| (p, true)))
        {
            let trusted = !path.in_user_metadata() || config.trust_user_metadata;
            let found = path.lookup(doc);
            for (name, v) in &found.not_object {
                self.step(
                    source,
                    name,
                    Some(v.to_text()),
                    Status::Ignored,
                    &format!(
                        "{name} is a JSON {}, not an object, so {path} is not in it",
                        v.kind()
                    ),
                );
            }
            let shown = path.to_string();
            let mut singles = Vec::new();
            let mut lists = Vec::new();
            let mut bad = Vec::new();
            for v in &found.values {
                match v {
                    Json::Arr(_) => lists.push((*v).clone()),
                    Json::Obj(entries) => match ids_of_object(entries, list_only) {
                        Ok(ids) => lists.push(Json::Arr(ids)),
                        Err(e) => bad.push((v.to_text(), e)),
                    },
                    _ if list_only && !matches!(v, Json::Null) => {
                        bad.push((v.to_text(), format!("a JSON {}, not a list", v.kind())))
                    }
                    _ => singles.push(*v),
                }
            }
            if !bad.is_empty() && trusted {
                self.invalid = true;
                for (raw, e) in bad {
                    self.step(source, &shown, Some(raw), Status::Invalid, &e);
                }
                continue;
            }
            if !singles.is_empty() && !lists.is_empty() && trusted {
                // The same key both a single id and a list: parsers disagree.
                self.duplicate = true;
                for v in &found.values {
                    self.step(
                        source,
                        &shown,
                        Some(v.to_text()),
                        Status::Conflict,
                        "key appears more than once, as an id and as a list",
                    );
                }
                continue;
            }
            if lists.is_empty() {
                self.inspect(
                    source,
                    &shown,
                    &singles,
                    found.copies_missing,
                    false,
                    trusted,
                    kind,
                );
            } else {
                let refs: Vec<&Json> = lists.iter().collect();
                self.inspect(
                    source,
                    &shown,
                    &refs,
                    found.copies_missing,
                    true,
                    trusted,
                    kind,
                );
            }
        }
    }

    /// An active-organization selector: only ever picks one of the token's
    /// organizations, never grants one by itself.
    fn selector(&mut self, source: &str, path: &str, value: &str, kind: IdKind) {
        let raw = Some(Json::Str(value.to_owned()).to_text());
        match check_single(&Json::Str(value.to_owned()), kind) {
            Ok(Some(id)) => {
                let i = self.step(source, path, raw, Status::Unused, "active organization");
                self.active.push((i, id));
            }
            Ok(None) => {}
            Err(e) => {
                self.invalid = true;
                self.step(
                    source,
                    path,
                    raw,
                    Status::Invalid,
                    &format!("active organization {e}"),
                );
            }
        }
    }
}

/// The organization ids of an object-valued organizations claim: Keycloak's
/// `{"acme": {"id": "…"}}` gives the ids; on a list path, Clerk v1's
/// `{"org_1": "admin"}` (scalar members: the role) gives the keys. On a
/// tenant path an object is only the Keycloak form: `{"x": 1}` where an id
/// belongs is invalid, not a list.
fn ids_of_object(entries: &[(String, Json)], list_path: bool) -> Result<Vec<Json>, String> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    if entries.iter().all(|(_, v)| matches!(v, Json::Obj(_))) {
        return entries
            .iter()
            .map(|(alias, v)| match v.get_all("id").as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(format!("member \"{alias}\" has no id")),
                _ => Err(format!("member \"{alias}\" has more than one id")),
            })
            .collect();
    }
    if !list_path {
        return Err("a JSON object, not an id (nor organizations with an id each)".into());
    }
    if entries
        .iter()
        .all(|(_, v)| !matches!(v, Json::Obj(_) | Json::Arr(_)))
    {
        return Ok(entries.iter().map(|(k, _)| Json::Str(k.clone())).collect());
    }
    Err("an object mixing members of different kinds".into())
}

/// The trail source and text of the claims document: verified claims from
/// `tenant_guard.authenticate()` when present, else `request.jwt.claims`.
fn claims_text(inputs: &Inputs) -> (&'static str, Option<&str>) {
    match inputs.get(VERIFIED_SETTING) {
        Some(text) => (VERIFIED_SOURCE, Some(text)),
        None => (CLAIMS_SETTING, inputs.get(CLAIMS_SETTING)),
    }
}

/// The claims document (see [`claims_text`]): `Ok(None)` when absent, `Err`
/// (with the reason) when malformed or not an object.
pub fn claims_document(inputs: &Inputs) -> Result<Option<Json>, String> {
    let Some(text) = claims_text(inputs).1 else {
        return Ok(None);
    };
    match Json::parse(text) {
        Ok(Json::Null) => Ok(None),
        Ok(doc @ Json::Obj(_)) => Ok(Some(doc)),
        Ok(other) => Err(format!("a JSON {}, not an object", other.kind())),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

/// The claims PostgREST 9-11 spread over `request.jwt.claim.<name>`, put back
/// into one object. Object- and array-valued claims arrive as JSON text.
pub fn legacy_document(inputs: &Inputs, config: &Config) -> (Option<Json>, Vec<(String, String)>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let structured: Vec<String> = ["app_metadata".to_owned(), "user_metadata".to_owned()]
        .into_iter()
        .chain(config.claim_keys.iter().map(|k| Config::list_key(k)))
        .collect();
    for name in config.legacy_claim_names() {
        let setting = format!("{LEGACY_PREFIX}{name}");
        let Some(text) = inputs.get(&setting) else {
            continue;
        };
        if structured.contains(&name) {
            match Json::parse(text) {
                Ok(v) => entries.push((name, v)),
                Err(e) => errors.push((setting, format!("not valid JSON: {e}"))),
            }
        } else if text.starts_with(['{', '[']) {
            // An object or array claim (`o`, `orgs`, `organization`) arrives
            // as JSON text; a string that merely looks like one stays a string.
            match Json::parse(text) {
                Ok(v @ (Json::Obj(_) | Json::Arr(_))) => entries.push((name, v)),
                _ => entries.push((name, Json::Str(text.to_owned()))),
            }
        } else {
            entries.push((name, Json::Str(text.to_owned())));
        }
    }
    let doc = if entries.is_empty() {
        None
    } else {
        Some(Json::Obj(entries))
    };
    (doc, errors)
}

/// Resolves the tenant from every source the trust rules allow (see
/// [`super::trust`]), in order: verified claims, else `request.jwt.claims`, the
/// legacy per-claim settings, then the backend-worker setting.
pub fn resolve(config: &Config, inputs: &Inputs, kind: IdKind) -> Resolution {
    let (inputs, set_aside) = effective(config, inputs);
    let inputs = &inputs;
    let mut c = Collector {
        trail: set_aside,
        ..Collector::default()
    };
    let untrusted = c.trail.iter().any(|s| s.status == Status::Untrusted);
    // A setting already listed as set aside is not listed again as absent.
    let aside: Vec<String> = c
        .trail
        .iter()
        .filter(|s| s.status == Status::Untrusted)
        .map(|s| s.source.clone())
        .collect();
    let listed = |name: &str| aside.iter().any(|a| a == name);

    let (source, text) = claims_text(inputs);
    match claims_document(inputs) {
        Ok(None) if listed(source) => {}
        Ok(None) => {
            c.step(source, "", None, Status::Absent, "");
        }
        Ok(Some(doc)) => c.document(source, &doc, config, kind),
        Err(e) => {
            c.malformed = true;
            c.step(source, "", text.map(str::to_owned), Status::Malformed, &e);
        }
    }
    if source == VERIFIED_SOURCE {
        // Settings were set aside (and listed) by `effective`.
        selectors(&mut c, inputs, kind);
        return decide(c, kind, untrusted);
    }

    let legacy_source = format!("{LEGACY_PREFIX}*");
    let (legacy, errors) = legacy_document(inputs, config);
    for (setting, e) in errors {
        c.malformed = true;
        let raw = inputs.get(&setting).map(str::to_owned);
        c.step(&setting, "", raw, Status::Malformed, &e);
    }
    match legacy {
        Some(doc) => c.document(&legacy_source, &doc, config, kind),
        None if aside.iter().any(|a| a.starts_with(LEGACY_PREFIX)) => {}
        None => {
            c.step(
                &legacy_source,
                "",
                None,
                Status::Absent,
                "PostgREST 9-11 per-claim settings",
            );
        }
    }

    let setting = config.tenant_setting.as_str();
    match inputs.get(setting) {
        None if listed(setting) => {}
        None => {
            c.step(setting, "", None, Status::Absent, "");
        }
        Some(v) => {
            let value = Json::Str(v.to_owned());
            c.inspect(setting, "", &[&value], false, false, true, kind);
        }
    }

    selectors(&mut c, inputs, kind);
    decide(c, kind, untrusted)
}

/// The active organization, if named: `tenant_guard.active_org`, and the
/// `x-org-id` request header PostgREST puts in `request.headers`.
fn selectors(c: &mut Collector, inputs: &Inputs, kind: IdKind) {
    if let Some(v) = inputs.get(ACTIVE_ORG_SETTING) {
        c.selector(ACTIVE_ORG_SETTING, "", v, kind);
    }
    if let Some(text) = inputs.get(HEADERS_SETTING) {
        // A header document that does not parse names no organization: not ours to judge.
        if let Ok(doc @ Json::Obj(_)) = Json::parse(text) {
            match doc.get_all(ACTIVE_ORG_HEADER).as_slice() {
                [] => {}
                [Json::Str(v)] => c.selector(HEADERS_SETTING, ACTIVE_ORG_HEADER, v, kind),
                other => {
                    c.invalid = true;
                    let raw = other
                        .iter()
                        .map(|v| v.to_text())
                        .collect::<Vec<_>>()
                        .join(", ");
                    c.step(
                        HEADERS_SETTING,
                        ACTIVE_ORG_HEADER,
                        Some(raw),
                        Status::Invalid,
                        "active organization header repeated or not a string",
                    );
                }
            }
        }
    }
}

/// `untrusted`: some setting held claims that the trust rules set aside; when
/// nothing else resolves, that (not "absent") is why there is no tenant.
fn decide(mut c: Collector, kind: IdKind, untrusted: bool) -> Resolution {
    let mut distinct: Vec<&String> = Vec::new();
    for (_, id) in &c.singles {
        if !distinct.contains(&id) {
            distinct.push(id);
        }
    }
    let mut list: Option<Vec<String>> = None;
    let mut list_conflict = false;
    for (_, ids) in &c.lists {
        match &list {
            None => list = Some(ids.clone()),
            Some(l) => {
                let same = l.len() == ids.len() && l.iter().all(|x| ids.contains(x));
                if !same {
                    list_conflict = true;
                }
            }
        }
    }

    let mut active: Vec<&String> = Vec::new();
    for (_, id) in &c.active {
        if !active.contains(&id) {
            active.push(id);
        }
    }
    let active_conflict = active.len() > 1;
    let chosen = active.first().map(|s| (*s).clone());

    let single = distinct.first().map(|s| (*s).clone());
    let outcome: Result<String, Failure> = if c.malformed {
        Err(Failure::Malformed)
    } else if c.invalid {
        Err(Failure::Invalid)
    } else if distinct.len() > 1 || list_conflict || c.duplicate || active_conflict {
        Err(Failure::Conflict)
    } else {
        match (single, &list, chosen) {
            (Some(id), Some(l), _) if !l.contains(&id) => Err(Failure::NotMember),
            // The token names its organization: a selector may only agree.
            (Some(id), _, Some(a)) if a != id => Err(Failure::ActiveNotMember),
            (Some(id), _, _) => Ok(id),
            (None, Some(l), Some(a)) if l.contains(&a) => Ok(a),
            // A selector never grants an organization the token does not list.
            (None, _, Some(_)) => Err(Failure::ActiveNotMember),
            (None, Some(l), None) if l.len() == 1 => Ok(l[0].clone()),
            (None, Some(l), None) if l.len() > 1 => Err(Failure::Ambiguous),
            (None, _, None) if untrusted => Err(Failure::Untrusted),
            (None, _, None) => Err(Failure::Absent),
        }
    };
    for (i, id) in &c.active {
        c.trail[*i].status = match &outcome {
            Ok(r) if r == id => Status::Used,
            Err(Failure::Conflict) if active_conflict => Status::Conflict,
            Err(Failure::ActiveNotMember) => Status::NotMember,
            _ => Status::Unused,
        };
        if outcome == Err(Failure::ActiveNotMember) {
            c.trail[*i].note = match &list {
                Some(l) => format!(
                    "active organization, not one of the token's {}",
                    l.join(", ")
                ),
                None if !distinct.is_empty() => {
                    "active organization, but the token names another one".into()
                }
                None => "active organization, but the token names no organization: a selector only picks one of the token's".into(),
            };
        }
    }

    // Mark each candidate with what became of it.
    for (i, id) in &c.singles {
        c.trail[*i].status = match &outcome {
            Ok(r) if r == id => Status::Used,
            Err(Failure::Conflict) if distinct.len() > 1 => Status::Conflict,
            Err(Failure::NotMember) => Status::NotMember,
            _ => Status::Unused,
        };
    }
    for (i, _) in &c.lists {
        c.trail[*i].status = match &outcome {
            Ok(_) | Err(Failure::Ambiguous) => Status::Used,
            Err(Failure::Conflict) if list_conflict => Status::Conflict,
            _ => Status::Unused,
        };
    }

    let tenant_ids = match (&outcome, list) {
        (Ok(_) | Err(Failure::Ambiguous), Some(l)) => Some(l),
        (Ok(id), None) => Some(vec![id.clone()]),
        _ => None,
    };
    Resolution {
        kind,
        tenant: outcome,
        tenant_ids,
        trail: c.trail,
    }
}

/// The claims documents (JSON setting, then legacy settings); `None` when any
/// is malformed, which fails every helper closed.
fn documents(config: &Config, inputs: &Inputs) -> Option<Vec<Json>> {
    let claims = claims_document(inputs).ok()?;
    let (legacy, errors) = legacy_document(inputs, config);
    if !errors.is_empty() {
        return None;
    }
    Some([claims, legacy].into_iter().flatten().collect())
}

/// The one value at `path` in `doc`: `Err` when a key on the way repeats
/// with different values (parsers disagree on which copy wins).
fn at_path<'a>(doc: &'a Json, path: &ClaimPath) -> Result<Option<&'a Json>, ()> {
    let found = path.lookup(doc);
    if found.copies_missing {
        return Err(());
    }
    match found.values.first() {
        Some(first) if found.values.iter().any(|v| v != first) => Err(()),
        first => Ok(first.copied()),
    }
}

/// The user id as text: the preset's user paths (`sub` for Supabase), first
/// present wins; every claims document (JSON setting, legacy settings) must
/// agree. `None` when absent, not a string (or integer), or contradictory.
pub fn user_key(config: &Config, inputs: &Inputs) -> Option<String> {
    let inputs = &effective(config, inputs).0;
    let docs = documents(config, inputs)?;
    for path in &config.preset().user_paths {
        let mut found: Option<String> = None;
        for doc in &docs {
            let id = match at_path(doc, path).ok()? {
                None | Some(Json::Null) => continue,
                Some(Json::Str(s)) if s.is_empty() => continue,
                Some(Json::Str(s)) if s.contains('\0') => return None,
                // A UUID in any spelling is one id.
                Some(Json::Str(s)) => uuid::normalize(s).unwrap_or_else(|| s.clone()),
                Some(Json::Num(n)) if n.is_i64() || n.is_u64() => n.to_string(),
                Some(_) => return None,
            };
            match &found {
                Some(f) if *f != id => return None,
                _ => found = Some(id),
            }
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The user id as a UUID (`get_current_user_id()`): [`user_key`] when it is one.
pub fn user_id(config: &Config, inputs: &Inputs) -> Option<[u8; 16]> {
    uuid::parse(&user_key(config, inputs)?)
}

/// The role: the preset's role paths (Supabase: the top-level `role` claim,
/// which PostgREST always sets, then `app_metadata.role`), else the role
/// setting (`app.role`). First present wins: these name different things, so
/// disagreement is expected, not a conflict. A list (Entra `roles`, Cognito
/// groups) counts when it holds exactly one role. A repeated key with
/// different values fails closed.
pub fn role(config: &Config, inputs: &Inputs) -> Option<String> {
    let inputs = &effective(config, inputs).0;
    let docs = documents(config, inputs)?;
    let text = |v: Option<&Json>| match v {
        Some(Json::Str(s)) if !s.is_empty() && !s.contains('\0') => Some(s.clone()),
        Some(Json::Arr(items)) => match items.as_slice() {
            [Json::Str(s)] if !s.is_empty() && !s.contains('\0') => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    for path in &config.preset().role_paths {
        for doc in &docs {
            if let Some(r) = text(at_path(doc, path).ok()?) {
                return Some(r);
            }
        }
    }
    inputs.get(&config.role_setting).map(str::to_owned)
}

/// The claims as seen: the JSON setting, else the legacy settings rebuilt into
/// one object; `None` when absent, malformed, or not representable as `jsonb`
/// (a `\u0000` escape).
pub fn current_claims(config: &Config, inputs: &Inputs) -> Option<Json> {
    let inputs = &effective(config, inputs).0;
    let doc = match claims_document(inputs) {
        Ok(Some(doc)) => Some(doc),
        Ok(None) => match legacy_document(inputs, config) {
            // A legacy setting that is not JSON: malformed, as for the JSON setting.
            (_, errors) if !errors.is_empty() => None,
            (doc, _) => doc,
        },
        Err(_) => None,
    }?;
    if doc.contains_nul() {
        None
    } else {
        Some(doc)
    }
}
