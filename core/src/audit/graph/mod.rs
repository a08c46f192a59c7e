//! Who reads what, and what PostgreSQL expands when a role queries a table.
//!
//! The graph: a policy reads the relations of its sub-queries and calls the
//! functions of its expressions; a function reads the relations and calls the
//! functions of its body (SQL bodies from their analysed node trees; PL/pgSQL
//! bodies, and SQL bodies that could not be analysed, by a conservative scan
//! of the source text, and such edges are marked); a view reads the relations
//! of its query.
//!
//! On top of it, the role-aware expansion (`State`s and `Edge`s):
//! querying table T with command C as role R expands the policies of T that
//! apply to R and C, unless R is exempt on T (or RLS is off); a relation in a
//! policy sub-query is expanded in the same rewrite, as the same role (a
//! `security_invoker` view is transparent, a definer view switches to its
//! owner); a function call is not expanded at rewrite time: the function's
//! body is planned when it runs, as the caller (SECURITY INVOKER) or as its
//! owner (SECURITY DEFINER).
//!
//! A cycle made only of sub-query edges is what `fireRIRrules` stops with
//! 42P17 ("infinite recursion detected in policy"). A cycle through a function
//! recurses at run time until 54001 ("stack depth limit exceeded").

use super::expr;
use super::model::{qualified, Ctx};
use super::node::{Node, Value};
use super::snapshot::{Function, Oid, Policy, Table, PUBLIC};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

mod refs;
mod source_scan;
pub use refs::{expr_refs, function_refs, tree_refs, value_nodes};
pub use source_scan::{scan_source, strip_literals};

/// The command a relation is accessed with: which policies apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cmd {
    Select,
    Insert,
    Update,
    Delete,
}

impl Cmd {
    pub const ALL: [Cmd; 4] = [Cmd::Select, Cmd::Insert, Cmd::Update, Cmd::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Cmd::Select => "SELECT",
            Cmd::Insert => "INSERT",
            Cmd::Update => "UPDATE",
            Cmd::Delete => "DELETE",
        }
    }

    /// From `Query.commandType` (PostgreSQL 15: 1 SELECT, 2 UPDATE, 3 INSERT,
    /// 4 DELETE, 5 MERGE).
    fn from_command_type(t: i64) -> Cmd {
        match t {
            2 | 5 => Cmd::Update,
            3 => Cmd::Insert,
            4 => Cmd::Delete,
            _ => Cmd::Select,
        }
    }
}

/// A relation read by a function body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub rel: Oid,
    pub cmd: Cmd,
    /// Found by scanning the source text (PL/pgSQL, or an SQL body that was
    /// not analysed), not from a node tree.
    pub from_source: bool,
}

/// A function called by a function body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub func: Oid,
    pub from_source: bool,
}

/// What one policy expression (USING or WITH CHECK) reads and calls.
#[derive(Debug, Clone, Default)]
pub struct ExprRefs {
    /// Any sub-query at all (PostgreSQL's `hasSubLinks`), `(SELECT f())` included.
    pub has_sublinks: bool,
    /// Relations read in sub-queries.
    pub rels: Vec<Oid>,
    /// Functions called anywhere in the expression.
    pub calls: Vec<Oid>,
}

#[derive(Debug, Clone, Default)]
pub struct PolicyRefs {
    pub using: Option<ExprRefs>,
    pub check: Option<ExprRefs>,
}

#[derive(Debug, Clone, Default)]
pub struct FuncRefs {
    pub reads: Vec<Read>,
    pub calls: Vec<Call>,
}

/// A point of the expansion: a relation accessed with a command as a role,
/// or a function running with the privileges of a role (its caller's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Rel { rel: Oid, cmd: Cmd, role: Oid },
    Func { func: Oid, role: Oid },
}

impl State {
    pub fn role(&self) -> Oid {
        match *self {
            State::Rel { role, .. } | State::Func { role, .. } => role,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A relation in a policy sub-query: expanded in the same rewrite.
    SubLink,
    /// A function called by a policy or by a function body.
    Call,
    /// A relation a function body reads (planned when the function runs).
    Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edge {
    pub to: State,
    pub kind: EdgeKind,
    /// The policy whose expression makes this edge (from a relation).
    pub policy: Option<Oid>,
    /// Views passed through on the way to the relation, outermost first.
    pub views: Vec<Oid>,
    pub from_source: bool,
}

/// One step of a path: from a state, along an edge.
#[derive(Debug, Clone)]
pub struct Step {
    pub from: State,
    pub edge: Edge,
}

/// A cycle (the last edge leads back to the first state's relation).
#[derive(Debug, Clone)]
pub struct Cycle {
    pub steps: Vec<Step>,
    /// The command that starts it (SELECT, or a write whose policy reads a
    /// relation leading back to the table).
    pub cmd: Cmd,
    /// Seed roles (client roles, PUBLIC, FORCE owners) whose queries reach it.
    pub roles: Vec<Oid>,
}

impl Cycle {
    /// The relation and policy the cycle is reported on (its first step).
    pub fn start(&self) -> (Oid, Option<Oid>) {
        let s = &self.steps[0];
        match s.from {
            State::Rel { rel, .. } => (rel, s.edge.policy),
            State::Func { func, .. } => (func, None),
        }
    }

    /// Role-independent identity: the same loop for `anon` and `authenticated`.
    fn key(&self) -> Vec<LoopStep> {
        self.steps
            .iter()
            .map(|s| match s.from {
                State::Rel { rel, cmd, .. } => (0, rel, s.edge.policy, s.edge.views.clone(), cmd),
                State::Func { func, .. } => (1, func, None, s.edge.views.clone(), Cmd::Select),
            })
            .collect()
    }
}

/// A step of a loop without its role: (relation 0 / function 1, object,
/// policy, views, command).
type LoopStep = (u8, Oid, Option<Oid>, Vec<Oid>, Cmd);

pub struct Graph<'c, 'a> {
    pub ctx: &'c Ctx<'a>,
    pub policies: HashMap<Oid, PolicyRefs>,
    pub functions: HashMap<Oid, FuncRefs>,
    /// `Ctx::privileges_of`, per role (asked for every state).
    privileges: RefCell<HashMap<Oid, Rc<HashSet<Oid>>>>,
    /// `successors`, per state (asked again by every search).
    memo: RefCell<HashMap<State, Rc<Vec<Edge>>>>,
}

impl<'c, 'a> Graph<'c, 'a> {
    pub fn new(ctx: &'c Ctx<'a>) -> Graph<'c, 'a> {
        let policies = ctx
            .snap
            .policies
            .iter()
            .map(|p| {
                let refs = PolicyRefs {
                    using: p.qual_tree.as_ref().and_then(Value::as_node).map(expr_refs),
                    check: p
                        .with_check_tree
                        .as_ref()
                        .and_then(Value::as_node)
                        .map(expr_refs),
                };
                (p.oid, refs)
            })
            .collect();
        let functions = ctx
            .snap
            .functions
            .iter()
            .filter(|f| f.schema != "pg_catalog")
            .map(|f| (f.oid, function_refs(ctx, f)))
            .collect();
        Graph {
            ctx,
            policies,
            functions,
            privileges: RefCell::new(HashMap::new()),
            memo: RefCell::new(HashMap::new()),
        }
    }

    fn privileges_of(&self, role: Oid) -> Rc<HashSet<Oid>> {
        if let Some(p) = self.privileges.borrow().get(&role) {
            return p.clone();
        }
        let p = Rc::new(self.ctx.privileges_of(role));
        self.privileges.borrow_mut().insert(role, p.clone());
        p
    }

    /// `Ctx::exempt`, with the role's privileges cached.
    fn exempt(&self, role: Oid, table: &Table) -> bool {
        if role == PUBLIC {
            return false;
        }
        if let Some(r) = self.ctx.roles.get(&role) {
            if r.superuser || r.bypassrls {
                return true;
            }
        }
        !table.force_rls && self.privileges_of(role).contains(&table.owner)
    }

    /// `Ctx::policy_applies`, with the role's privileges cached.
    fn policy_applies(&self, policy: &Policy, role: Oid) -> bool {
        if policy.roles.contains(&PUBLIC) {
            return true;
        }
        let mine = self.privileges_of(role);
        policy.roles.iter().any(|r| mine.contains(r))
    }

    /// Roles to evaluate: client roles, PUBLIC, and the owners of FORCE
    /// tables (who are then subject to their own tables' policies).
    pub fn seed_roles(&self) -> Vec<Oid> {
        let mut roles = self.ctx.clients();
        let mut owners: Vec<Oid> = self
            .ctx
            .snap
            .tables
            .iter()
            .filter(|t| t.force_rls && t.rls)
            .map(|t| t.owner)
            .filter(|o| {
                self.ctx
                    .roles
                    .get(o)
                    .is_some_and(|r| !r.superuser && !r.bypassrls)
            })
            .collect();
        owners.sort();
        owners.dedup();
        for o in owners {
            if !roles.contains(&o) {
                roles.push(o);
            }
        }
        roles
    }

    /// The policy expressions PostgreSQL applies to `cmd` for `role` on
    /// `table`, each with its policy. Empty when RLS is off or the role is
    /// exempt. Restrictive USING quals count only when a permissive policy
    /// applies (PostgreSQL then adds a constant false instead).
    pub fn applied(&self, table: &Table, cmd: Cmd, role: Oid) -> Vec<(&'a Policy, &ExprRefs)> {
        if !table.rls || self.exempt(role, table) {
            return Vec::new();
        }
        let applicable: Vec<&'a Policy> = self
            .ctx
            .policies(table.oid)
            .iter()
            .copied()
            .filter(|p| self.policy_applies(p, role))
            .collect();
        let mut out = Vec::new();
        // (policy commands, use USING, use WITH CHECK)
        let groups: &[(&[&str], bool, bool)] = match cmd {
            Cmd::Select => &[(&["r", "*"], true, false)],
            Cmd::Insert => &[(&["a", "*"], false, true)],
            // UPDATE/DELETE with a WHERE clause also apply the SELECT policies.
            Cmd::Update => &[(&["w", "*"], true, true), (&["r"], true, false)],
            Cmd::Delete => &[(&["d", "*"], true, false), (&["r"], true, false)],
        };
        for &(cmds, using, check) in groups {
            let group: Vec<&'a Policy> = applicable
                .iter()
                .copied()
                .filter(|p| cmds.contains(&p.cmd.as_str()))
                .collect();
            let any_permissive = group.iter().any(|p| p.permissive);
            for p in group {
                let Some(refs) = self.policies.get(&p.oid) else {
                    continue;
                };
                if using && (p.permissive || any_permissive) {
                    if let Some(u) = &refs.using {
                        out.push((p, u));
                    }
                }
                if check {
                    // FOR ALL / UPDATE without WITH CHECK reuse USING.
                    match (&refs.check, &refs.using) {
                        (Some(c), _) => out.push((p, c)),
                        (None, Some(u)) if p.cmd != "a" && !using => out.push((p, u)),
                        _ => {}
                    }
                }
            }
        }
        out
    }

    /// Do the policies applied for `cmd` contain any sub-query (so that
    /// PostgreSQL checks the relation for recursion)?
    pub fn has_sublinks(&self, rel: Oid, cmd: Cmd, role: Oid) -> bool {
        self.ctx.tables.get(&rel).is_some_and(|t| {
            self.applied(t, cmd, role)
                .iter()
                .any(|(_, e)| e.has_sublinks)
        })
    }

    /// States a read of `rel` leads to: the relation itself, or through a
    /// view to the relations it reads (as the view's owner unless it is
    /// `security_invoker`). Materialized views store rows: nothing further.
    fn reach(
        &self,
        rel: Oid,
        cmd: Cmd,
        role: Oid,
        views: &mut Vec<Oid>,
        out: &mut Vec<(State, Vec<Oid>)>,
    ) {
        let Some(t) = self.ctx.tables.get(&rel) else {
            return;
        };
        match t.kind.as_str() {
            "v" => {
                if views.contains(&rel) || views.len() > 32 {
                    return;
                }
                let as_role = if t.security_invoker { role } else { t.owner };
                views.push(rel);
                for &inner in &t.view_relations {
                    self.reach(inner, Cmd::Select, as_role, views, out);
                }
                views.pop();
            }
            "m" => {}
            _ => out.push((State::Rel { rel, cmd, role }, views.clone())),
        }
    }

    /// Every edge out of a state.
    pub fn successors(&self, state: State) -> Rc<Vec<Edge>> {
        if let Some(e) = self.memo.borrow().get(&state) {
            return e.clone();
        }
        let e = Rc::new(self.compute_successors(state));
        self.memo.borrow_mut().insert(state, e.clone());
        e
    }

    fn compute_successors(&self, state: State) -> Vec<Edge> {
        let mut out: Vec<Edge> = Vec::new();
        let push = |e: Edge, out: &mut Vec<Edge>| {
            if !out.contains(&e) {
                out.push(e);
            }
        };
        match state {
            State::Rel { rel, cmd, role } => {
                let Some(t) = self.ctx.tables.get(&rel) else {
                    return out;
                };
                for (p, refs) in self.applied(t, cmd, role) {
                    for &r in &refs.rels {
                        let mut reached = Vec::new();
                        self.reach(r, Cmd::Select, role, &mut Vec::new(), &mut reached);
                        for (to, views) in reached {
                            push(
                                Edge {
                                    to,
                                    kind: EdgeKind::SubLink,
                                    policy: Some(p.oid),
                                    views,
                                    from_source: false,
                                },
                                &mut out,
                            );
                        }
                    }
                    for &f in &refs.calls {
                        if self.functions.contains_key(&f) {
                            push(
                                Edge {
                                    to: State::Func { func: f, role },
                                    kind: EdgeKind::Call,
                                    policy: Some(p.oid),
                                    views: Vec::new(),
                                    from_source: false,
                                },
                                &mut out,
                            );
                        }
                    }
                }
            }
            State::Func { func, role } => {
                let (Some(f), Some(refs)) =
                    (self.ctx.functions.get(&func), self.functions.get(&func))
                else {
                    return out;
                };
                let as_role = if f.security_definer { f.owner } else { role };
                for read in &refs.reads {
                    let mut reached = Vec::new();
                    self.reach(read.rel, read.cmd, as_role, &mut Vec::new(), &mut reached);
                    for (to, views) in reached {
                        push(
                            Edge {
                                to,
                                kind: EdgeKind::Body,
                                policy: None,
                                views,
                                from_source: read.from_source,
                            },
                            &mut out,
                        );
                    }
                }
                for c in &refs.calls {
                    if self.functions.contains_key(&c.func) {
                        push(
                            Edge {
                                to: State::Func {
                                    func: c.func,
                                    role: as_role,
                                },
                                kind: EdgeKind::Call,
                                policy: None,
                                views: Vec::new(),
                                from_source: c.from_source,
                            },
                            &mut out,
                        );
                    }
                }
            }
        }
        out
    }

    /// Start states: every audited table, every command, every seed role.
    fn seeds(&self, roles: &[Oid], cmds: &[Cmd]) -> Vec<State> {
        let mut out = Vec::new();
        for t in self.ctx.audited_tables() {
            if !matches!(t.kind.as_str(), "r" | "p" | "f") {
                continue;
            }
            for &role in roles {
                for &cmd in cmds {
                    out.push(State::Rel {
                        rel: t.oid,
                        cmd,
                        role,
                    });
                }
            }
        }
        out
    }

    /// Cycles of policy sub-queries that raise 42P17, for the given roles.
    pub fn policy_cycles(&self, roles: &[Oid]) -> Vec<Cycle> {
        let keep = |e: &Edge| e.kind == EdgeKind::SubLink;
        let sg = StateGraph::build(self, &self.seeds(roles, &[Cmd::Select]), &keep);
        let mut cycles = sg.cycles(self, |_| true);
        // A write whose policy reads a relation leading back to the table
        // raises 42P17 too, when the table's SELECT policies have a sub-query
        // (only then does PostgreSQL check it again).
        for t in self.ctx.audited_tables() {
            // Only write policies (and WITH CHECKs) with a sub-query can start such a loop.
            let write_sublinks = self.ctx.policies(t.oid).iter().any(|p| {
                self.policies.get(&p.oid).is_some_and(|r| {
                    r.check.as_ref().is_some_and(|c| !c.rels.is_empty())
                        || (p.cmd != "r"
                            && p.cmd != "*"
                            && r.using.as_ref().is_some_and(|u| !u.rels.is_empty()))
                })
            });
            if !write_sublinks {
                continue;
            }
            for &role in roles {
                let select: Vec<Edge> = self
                    .successors(State::Rel {
                        rel: t.oid,
                        cmd: Cmd::Select,
                        role,
                    })
                    .iter()
                    .filter(|e| keep(e))
                    .cloned()
                    .collect();
                for cmd in [Cmd::Insert, Cmd::Update, Cmd::Delete] {
                    let from = State::Rel {
                        rel: t.oid,
                        cmd,
                        role,
                    };
                    for e in self.successors(from).iter().filter(|e| keep(e)) {
                        if select.iter().any(|s| s.to == e.to && s.policy == e.policy) {
                            continue;
                        }
                        let target = |s: &State| match *s {
                            State::Rel { rel, cmd, role } => {
                                rel == t.oid && self.has_sublinks(rel, cmd, role)
                            }
                            State::Func { .. } => false,
                        };
                        if let Some(mut path) = shortest_path(self, e.to, &keep, &target) {
                            path.insert(
                                0,
                                Step {
                                    from,
                                    edge: e.clone(),
                                },
                            );
                            cycles.push(Cycle {
                                steps: path,
                                cmd,
                                roles: Vec::new(),
                            });
                        }
                    }
                }
            }
        }
        self.finish(cycles, roles, &keep)
    }

    /// Cycles through at least one function: 54001 at run time.
    pub fn function_cycles(&self, roles: &[Oid]) -> Vec<Cycle> {
        let keep = |_: &Edge| true;
        let sg = StateGraph::build(self, &self.seeds(roles, &Cmd::ALL), &keep);
        let cycles = sg.cycles(self, |c: &Cycle| {
            c.steps.iter().any(|s| matches!(s.from, State::Func { .. }))
                && c.steps.iter().any(|s| matches!(s.from, State::Rel { .. }))
        });
        self.finish(cycles, roles, &keep)
    }

    /// Merges the same loop found for several roles, and records which seed
    /// roles reach it (any of its variants).
    fn finish(
        &self,
        cycles: Vec<Cycle>,
        roles: &[Oid],
        keep: &dyn Fn(&Edge) -> bool,
    ) -> Vec<Cycle> {
        let mut merged: Vec<(Cycle, HashSet<State>)> = Vec::new();
        for c in cycles {
            let states: Vec<State> = c.steps.iter().map(|s| s.from).collect();
            let key = (c.cmd, c.key());
            match merged.iter_mut().find(|(m, _)| (m.cmd, m.key()) == key) {
                Some((_, set)) => set.extend(states),
                None => merged.push((c, states.into_iter().collect())),
            }
        }
        // Which roles reach which loop: one search per role over the states.
        let mut reached: Vec<(Oid, HashSet<State>)> = Vec::new();
        for &role in roles.iter().filter(|_| !merged.is_empty()) {
            let seeds = self.seeds(&[role], &Cmd::ALL);
            let mut seen: HashSet<State> = seeds.iter().copied().collect();
            let mut queue: VecDeque<State> = seeds.into();
            while let Some(s) = queue.pop_front() {
                for e in self.successors(s).iter() {
                    if keep(e) && seen.insert(e.to) {
                        queue.push_back(e.to);
                    }
                }
            }
            reached.push((role, seen));
        }
        let mut out: Vec<Cycle> = merged
            .into_iter()
            .map(|(mut c, states)| {
                c.roles = reached
                    .iter()
                    .filter(|(_, seen)| states.iter().any(|s| seen.contains(s)))
                    .map(|(r, _)| *r)
                    .collect();
                c
            })
            .collect();
        out.sort_by_key(|c| self.sort_key(c));
        out
    }

    fn sort_key(&self, c: &Cycle) -> (bool, String, String, String, Cmd) {
        let (rel, policy) = c.start();
        let (audited, schema, name) = match self.ctx.tables.get(&rel) {
            Some(t) => (
                self.ctx.schemas.contains(&t.schema),
                t.schema.clone(),
                t.name.clone(),
            ),
            None => (false, String::new(), String::new()),
        };
        let pname = policy
            .and_then(|p| self.ctx.snap.policies.iter().find(|x| x.oid == p))
            .map(|p| p.name.clone())
            .unwrap_or_default();
        (!audited, schema, name, pname, c.cmd)
    }

    /// `schema.table` or the function signature.
    pub fn name_of(&self, s: &State) -> String {
        match *s {
            State::Rel { rel, .. } => self.rel_name(rel),
            State::Func { func, .. } => self
                .ctx
                .functions
                .get(&func)
                .map(|f| function_sig(f))
                .unwrap_or_else(|| format!("function {func}")),
        }
    }

    pub fn rel_name(&self, rel: Oid) -> String {
        self.ctx
            .tables
            .get(&rel)
            .map(|t| qualified(&t.schema, &t.name))
            .unwrap_or_else(|| format!("relation {rel}"))
    }

    pub fn policy_name(&self, oid: Oid) -> String {
        self.ctx
            .snap
            .policies
            .iter()
            .find(|p| p.oid == oid)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| format!("policy {oid}"))
    }

    /// `public.a (policy pa) -> public.b (policy pb) -> public.a`, with views,
    /// functions (and as whom they run) and source-scanned edges marked.
    pub fn render(&self, c: &Cycle) -> String {
        let mut out = String::new();
        for (i, s) in c.steps.iter().enumerate() {
            if i == 0 {
                out.push_str(&self.name_of(&s.from));
                if c.cmd != Cmd::Select {
                    out.push_str(&format!(" ({})", c.cmd.as_str()));
                }
            }
            if let Some(p) = s.edge.policy {
                out.push_str(&format!(" [policy {}]", self.policy_name(p)));
            }
            if s.edge.from_source {
                let lang = match s.from {
                    State::Func { func, .. } => {
                        self.ctx.functions.get(&func).map(|f| f.language.as_str())
                    }
                    State::Rel { .. } => None,
                };
                out.push_str(match lang {
                    Some("plpgsql") => " [from PL/pgSQL source]",
                    _ => " [from SQL source text, not analysed]",
                });
            }
            for &v in &s.edge.views {
                let view = self.ctx.tables.get(&v);
                let how = match view {
                    Some(t) if t.security_invoker => "security_invoker view".to_owned(),
                    Some(t) => format!("view running as {}", self.ctx.role_name(t.owner)),
                    None => "view".to_owned(),
                };
                out.push_str(&format!(" -> {} ({how})", self.rel_name(v)));
            }
            out.push_str(" -> ");
            out.push_str(&self.name_of(&s.edge.to));
            match s.edge.to {
                State::Func { func, .. } => {
                    if let Some(f) = self.ctx.functions.get(&func) {
                        if f.security_definer {
                            out.push_str(&format!(
                                " (SECURITY DEFINER, runs as {})",
                                self.ctx.role_name(f.owner)
                            ));
                        } else if f.language == "plpgsql" {
                            out.push_str(" (PL/pgSQL, SECURITY INVOKER)");
                        } else {
                            out.push_str(" (SECURITY INVOKER)");
                        }
                    }
                }
                State::Rel { cmd, role, .. } => {
                    if cmd != Cmd::Select && s.edge.kind == EdgeKind::Body {
                        out.push_str(&format!(" ({})", cmd.as_str()));
                    }
                    if role != s.from.role() && i + 1 == c.steps.len() {
                        out.push_str(&format!(" as {}", self.ctx.role_name(role)));
                    }
                }
            }
        }
        out
    }
}

/// Shortest path (breadth first) from `start` to a state satisfying `target`
/// (the target may be `start` itself only after at least one edge is taken
/// from it, which callers arrange by starting at a successor).
fn shortest_path(
    g: &Graph,
    start: State,
    keep: &dyn Fn(&Edge) -> bool,
    target: &dyn Fn(&State) -> bool,
) -> Option<Vec<Step>> {
    if target(&start) {
        return Some(Vec::new());
    }
    let mut parent: HashMap<State, (State, Edge)> = HashMap::new();
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(s) = queue.pop_front() {
        for e in g.successors(s).iter() {
            if !keep(e) || !seen.insert(e.to) {
                continue;
            }
            parent.insert(e.to, (s, e.clone()));
            if target(&e.to) {
                let mut steps = Vec::new();
                let mut cur = e.to;
                while cur != start {
                    let (p, edge) = parent[&cur].clone();
                    steps.push(Step { from: p, edge });
                    cur = p;
                }
                steps.reverse();
                return Some(steps);
            }
            queue.push_back(e.to);
        }
    }
    None
}

/// The reachable part of the expansion, as an indexed graph.
struct StateGraph {
    states: Vec<State>,
    edges: Vec<Vec<(usize, Edge)>>,
}

impl StateGraph {
    fn build(g: &Graph, seeds: &[State], keep: &dyn Fn(&Edge) -> bool) -> StateGraph {
        let mut index: HashMap<State, usize> = HashMap::new();
        let mut states = Vec::new();
        let mut edges: Vec<Vec<(usize, Edge)>> = Vec::new();
        let mut queue = VecDeque::new();
        for &s in seeds {
            if let std::collections::hash_map::Entry::Vacant(e) = index.entry(s) {
                e.insert(states.len());
                states.push(s);
                edges.push(Vec::new());
                queue.push_back(s);
            }
        }
        while let Some(s) = queue.pop_front() {
            let i = index[&s];
            for e in g.successors(s).iter().filter(|e| keep(e)) {
                let j = match index.get(&e.to) {
                    Some(&j) => j,
                    None => {
                        let j = states.len();
                        index.insert(e.to, j);
                        states.push(e.to);
                        edges.push(Vec::new());
                        queue.push_back(e.to);
                        j
                    }
                };
                edges[i].push((j, e.clone()));
            }
        }
        StateGraph { states, edges }
    }

    /// Strongly connected components (Tarjan, iterative).
    fn sccs(&self) -> Vec<usize> {
        let n = self.states.len();
        let mut comp = vec![usize::MAX; n];
        let mut idx = vec![usize::MAX; n];
        let mut low = vec![0usize; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut counter = 0;
        let mut ncomp = 0;
        for root in 0..n {
            if idx[root] != usize::MAX {
                continue;
            }
            let mut call: Vec<(usize, usize)> = vec![(root, 0)];
            idx[root] = counter;
            low[root] = counter;
            counter += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut next)) = call.last_mut() {
                if *next < self.edges[v].len() {
                    let w = self.edges[v][*next].0;
                    *next += 1;
                    if idx[w] == usize::MAX {
                        idx[w] = counter;
                        low[w] = counter;
                        counter += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        call.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(idx[w]);
                    }
                } else {
                    call.pop();
                    if let Some(&(parent, _)) = call.last() {
                        low[parent] = low[parent].min(low[v]);
                    }
                    if low[v] == idx[v] {
                        while let Some(w) = stack.pop() {
                            on_stack[w] = false;
                            comp[w] = ncomp;
                            if w == v {
                                break;
                            }
                        }
                        ncomp += 1;
                    }
                }
            }
        }
        comp
    }

    /// One shortest loop through every state of every cyclic component,
    /// rotated to a canonical start, without duplicates.
    fn cycles(&self, g: &Graph, accept: impl Fn(&Cycle) -> bool) -> Vec<Cycle> {
        let comp = self.sccs();
        let mut size: HashMap<usize, usize> = HashMap::new();
        for &c in &comp {
            *size.entry(c).or_default() += 1;
        }
        let mut out: Vec<Cycle> = Vec::new();
        let mut keys = HashSet::new();
        for v in 0..self.states.len() {
            if !matches!(self.states[v], State::Rel { .. }) {
                continue;
            }
            let cyclic = size[&comp[v]] > 1 || self.edges[v].iter().any(|(w, _)| *w == v);
            if !cyclic {
                continue;
            }
            let Some(steps) = self.shortest_loop(v, &comp) else {
                continue;
            };
            let cycle = canonical(
                g,
                Cycle {
                    steps,
                    cmd: Cmd::Select,
                    roles: Vec::new(),
                },
            );
            if !accept(&cycle) {
                continue;
            }
            let key: Vec<_> = cycle
                .steps
                .iter()
                .map(|s| (s.from, s.edge.to, s.edge.policy))
                .collect();
            if keys.insert(key) {
                out.push(cycle);
            }
        }
        out
    }

    fn shortest_loop(&self, v: usize, comp: &[usize]) -> Option<Vec<Step>> {
        let mut parent: HashMap<usize, (usize, usize)> = HashMap::new();
        let mut queue = VecDeque::from([v]);
        let mut seen = HashSet::from([v]);
        while let Some(u) = queue.pop_front() {
            for (k, (w, _)) in self.edges[u].iter().enumerate() {
                if comp[*w] != comp[v] {
                    continue;
                }
                if *w == v {
                    let mut steps = vec![Step {
                        from: self.states[u],
                        edge: self.edges[u][k].1.clone(),
                    }];
                    let mut cur = u;
                    while cur != v {
                        let (p, pk) = parent[&cur];
                        steps.push(Step {
                            from: self.states[p],
                            edge: self.edges[p][pk].1.clone(),
                        });
                        cur = p;
                    }
                    steps.reverse();
                    return Some(steps);
                }
                if seen.insert(*w) {
                    parent.insert(*w, (u, k));
                    queue.push_back(*w);
                }
            }
        }
        None
    }
}

/// Rotates a loop to start at its smallest relation step (audited tables
/// first, then schema, table, policy name), so that each loop is reported once.
fn canonical(g: &Graph, c: Cycle) -> Cycle {
    let key = |s: &Step| -> Option<(bool, String, String, String)> {
        let State::Rel { rel, .. } = s.from else {
            return None;
        };
        let t = g.ctx.tables.get(&rel)?;
        Some((
            !g.ctx.schemas.contains(&t.schema),
            t.schema.clone(),
            t.name.clone(),
            s.edge.policy.map(|p| g.policy_name(p)).unwrap_or_default(),
        ))
    };
    let best = c
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| key(s).map(|k| (k, i)))
        .min()
        .map(|(_, i)| i)
        .unwrap_or(0);
    let mut steps = c.steps[best..].to_vec();
    steps.extend_from_slice(&c.steps[..best]);
    Cycle { steps, ..c }
}

/// `schema.name(argument types)`: `regprocedure` text leaves out schemas on
/// the search path; remediation SQL must not depend on it.
pub fn function_sig(f: &Function) -> String {
    let prefix = format!("{}.", super::model::quote_ident(&f.schema));
    if f.signature.starts_with(&prefix) {
        f.signature.clone()
    } else {
        format!("{prefix}{}", f.signature)
    }
}

/// Role name for details: PUBLIC reads as "PUBLIC (any role)".
pub fn role_label(ctx: &Ctx, role: Oid) -> String {
    if role == PUBLIC {
        "PUBLIC (any other role)".into()
    } else {
        ctx.role_name(role)
    }
}

#[cfg(test)]
mod tests;
