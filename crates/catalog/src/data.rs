//! Reading the generated data file (`data/catalog.tsv`, written by `tools/regen-catalog`) into the
//! catalog's flat tables. The format is described in `tools/regen-catalog.py`; every index is checked
//! here, once, so lookups can rely on it.

use std::cmp::Ordering;

use crate::access::AccessLevel;
use crate::condition::{ConditionKey, ConditionKeyType};
use crate::pattern::cmp_ignore_case;
use crate::{ActionData, ActionResourceData, Catalog, CatalogError, ResourceTypeData, ServiceData, Source, Span};

/// The data format this reader understands (the `V` line).
const FORMAT_VERSION: &str = "1";

struct Reader {
    line: usize,
}

impl Reader {
    fn error(&self, message: impl Into<String>) -> CatalogError {
        CatalogError::Data { line: self.line, message: message.into() }
    }

    fn index(&self, text: &str, bound: u32, what: &str) -> Result<u32, CatalogError> {
        match text.parse::<u32>() {
            Ok(i) if i < bound => Ok(i),
            _ => Err(self.error(format!("bad {what} index `{text}`"))),
        }
    }

    fn key_type(&self, text: &str) -> Result<ConditionKeyType, CatalogError> {
        ConditionKeyType::from_aws_name(text).ok_or_else(|| self.error(format!("unknown condition key type `{text}`")))
    }
}

fn list(field: &str) -> impl Iterator<Item = &str> {
    field.split(',').filter(|s| !s.is_empty())
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Parses the whole data file.
pub(crate) fn parse(text: &'static str) -> Result<Catalog, CatalogError> {
    let mut c = Catalog {
        source: Source::default(),
        global_keys: Vec::with_capacity(64),
        services: Vec::with_capacity(512),
        keys: Vec::with_capacity(4096),
        resource_types: Vec::with_capacity(4096),
        arns: Vec::with_capacity(4096),
        actions: Vec::with_capacity(24_000),
        action_resources: Vec::with_capacity(32_000),
        key_refs: Vec::with_capacity(160_000),
        dependents: Vec::with_capacity(8_000),
    };
    let mut r = Reader { line: 0 };
    let mut saw_version = false;
    for (n, line) in text.lines().enumerate() {
        r.line = n + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let tag = fields.next().unwrap_or_default();
        let mut field = |what: &str| fields.next().ok_or_else(|| r.error(format!("missing {what}")));
        match tag {
            "V" => {
                let version = field("version")?;
                if version != FORMAT_VERSION {
                    return Err(r.error(format!("unsupported format version `{version}`")));
                }
                saw_version = true;
            }
            "source" => {
                c.source.package = field("package")?;
                c.source.version = field("version")?;
                c.source.date = field("date")?;
            }
            "deps" => {
                c.source.dependent_actions_package = field("package")?;
                c.source.dependent_actions_version = field("version")?;
            }
            "G" => {
                let name = field("key")?;
                let key_type = r.key_type(field("type")?)?;
                c.global_keys.push(ConditionKey { name, key_type });
            }
            "S" => {
                let prefix = field("prefix")?;
                let name = field("name")?;
                if let Some(last) = c.services.last() {
                    if cmp_ignore_case(last.prefix, prefix) != Ordering::Less {
                        return Err(r.error(format!("service `{prefix}` out of order")));
                    }
                }
                let keys = Span::at(c.keys.len());
                let resource_types = Span::at(c.resource_types.len());
                let actions = Span::at(c.actions.len());
                c.services.push(ServiceData { prefix, name, keys, resource_types, actions });
            }
            "K" => {
                let name = field("key")?;
                let key_type = r.key_type(field("type")?)?;
                c.keys.push(ConditionKey { name, key_type });
                let end = len_u32(c.keys.len());
                match c.services.last_mut() {
                    Some(s) => s.keys.end = end,
                    None => return Err(r.error("condition key before any service")),
                }
            }
            "R" => {
                let name = field("name")?;
                let key_list = field("condition keys")?;
                let Some(service) = c.services.last() else {
                    return Err(r.error("resource type before any service"));
                };
                let service_index = len_u32(c.services.len() - 1);
                let (key_base, key_count) = (service.keys.start, service.keys.len_u32());
                let keys_start = c.key_refs.len();
                for k in list(key_list) {
                    c.key_refs.push(key_base + r.index(k, key_count, "condition key")?);
                }
                let arns_start = c.arns.len();
                c.arns.extend(fields.by_ref().filter(|a| !a.is_empty()));
                if c.arns.len() == arns_start {
                    return Err(r.error(format!("resource type `{name}` has no ARN format")));
                }
                c.resource_types.push(ResourceTypeData {
                    service: service_index,
                    name,
                    keys: Span::new(keys_start, c.key_refs.len()),
                    arns: Span::new(arns_start, c.arns.len()),
                });
                let end = len_u32(c.resource_types.len());
                if let Some(s) = c.services.last_mut() {
                    s.resource_types.end = end;
                }
            }
            "A" => {
                let name = field("name")?;
                let level = field("access level")?;
                let resources = field("resource types")?;
                let key_list = field("condition keys")?;
                let dependents = field("dependent actions")?;
                let level = AccessLevel::from_code(level)
                    .ok_or_else(|| r.error(format!("unknown access level code `{level}`")))?;
                let Some(service) = c.services.last() else {
                    return Err(r.error("action before any service"));
                };
                let service_index = len_u32(c.services.len() - 1);
                let (key_base, key_count) = (service.keys.start, service.keys.len_u32());
                let (rt_base, rt_count) = (service.resource_types.start, service.resource_types.len_u32());
                if service.actions.len_u32() > 0 {
                    if let Some(previous) = c.actions.last() {
                        if cmp_ignore_case(previous.name, name) != Ordering::Less {
                            return Err(r.error(format!("action `{name}` out of order")));
                        }
                    }
                }
                let resources_start = c.action_resources.len();
                for spec in list(resources) {
                    let mut parts = spec.split('/');
                    let head = parts.next().unwrap_or_default();
                    let (index, required) = match head.strip_suffix('!') {
                        Some(index) => (index, true),
                        None => (head, false),
                    };
                    let resource_type = rt_base + r.index(index, rt_count, "resource type")?;
                    let keys_start = c.key_refs.len();
                    for k in parts {
                        c.key_refs.push(key_base + r.index(k, key_count, "condition key")?);
                    }
                    c.action_resources.push(ActionResourceData {
                        resource_type,
                        required,
                        keys: Span::new(keys_start, c.key_refs.len()),
                    });
                }
                let keys_start = c.key_refs.len();
                for k in list(key_list) {
                    c.key_refs.push(key_base + r.index(k, key_count, "condition key")?);
                }
                let dependents_start = c.dependents.len();
                c.dependents.extend(list(dependents));
                c.actions.push(ActionData {
                    service: service_index,
                    name,
                    level,
                    resources: Span::new(resources_start, c.action_resources.len()),
                    keys: Span::new(keys_start, c.key_refs.len()),
                    dependents: Span::new(dependents_start, c.dependents.len()),
                });
                let end = len_u32(c.actions.len());
                if let Some(s) = c.services.last_mut() {
                    s.actions.end = end;
                }
            }
            other => return Err(r.error(format!("unknown line type `{other}`"))),
        }
    }
    if !saw_version {
        r.line = 1;
        return Err(r.error("missing format version line"));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_catalog() {
        let c = parse(
            "V\t1\nsource\tpkg\t1.0\t2026-01-01\ndeps\tother\t2.0\nG\taws:SourceIp\tIPAddress\n\
             S\tdemo\tDemo Service\nK\tdemo:Color\tString\n\
             R\tthing\t0\tarn:${Partition}:demo:${Region}:${Account}:thing/${Name}\n\
             A\tGetThing\tR\t0!/0\t0\tdemo:ListThings\nA\tListThings\tL\t\t\t\n",
        )
        .unwrap();
        assert_eq!(c.actions.len(), 2);
        assert_eq!(c.source.version, "1.0");
        let get = c.find_action("DEMO:getthing").unwrap();
        assert_eq!(get.name(), "GetThing");
        assert_eq!(get.access_level(), AccessLevel::Read);
        assert_eq!(get.dependent_actions().collect::<Vec<_>>(), ["demo:ListThings"]);
    }

    #[test]
    fn rejects_bad_data_with_its_line() {
        let bad = [
            ("S\tdemo\tDemo\n", 1),
            ("V\t2\n", 1),
            ("V\t1\nA\tX\tR\t\t\t\n", 2),
            ("V\t1\nS\tdemo\tDemo\nA\tX\tQ\t\t\t\n", 3),
            ("V\t1\nS\tdemo\tDemo\nA\tX\tR\t3\t\t\n", 3),
            ("V\t1\nS\tdemo\tDemo\nA\tB\tR\t\t\t\nA\tA\tR\t\t\t\n", 4),
            ("V\t1\nS\tb\tB\nS\ta\tA\n", 3),
            ("V\t1\nZ\n", 2),
        ];
        for (text, line) in bad {
            match parse(text) {
                Err(CatalogError::Data { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
