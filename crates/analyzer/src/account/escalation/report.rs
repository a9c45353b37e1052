//! The escalation report for people (text) and as pictures (Graphviz, Mermaid).

use std::collections::HashMap;
use std::fmt::Write as _;

use super::EscalationReport;

impl EscalationReport {
    /// The report for people: one block per principal, one line per step.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let what = self.target.as_deref().unwrap_or("admin-equivalent permissions");
        let admins =
            crate::text::counted(self.admins.len(), "admin-equivalent principal", "admin-equivalent principals");
        let decisions = crate::text::counted(self.decisions, "decision", "decisions");
        let _ = writeln!(s, "{admins}; {decisions} by the engine");
        for a in &self.admins {
            let _ = writeln!(s, "  admin: {a}");
        }
        if self.paths.is_empty() {
            let _ = writeln!(s, "\nno principal can escalate to {what}");
        }
        for path in &self.paths {
            let steps = crate::text::counted(path.steps.len(), "step", "steps");
            let given = path.requires.as_deref().map(|r| format!(", given {r}")).unwrap_or_default();
            let _ = writeln!(s, "\n{} can reach {} in {steps}{given}:", path.principal, path.reaches);
            for (k, step) in path.steps.iter().enumerate() {
                let existing = if step.assumes_existing_resource { " [if such a resource exists]" } else { "" };
                let _ = writeln!(s, "  {}. {} --{}--> {}{existing}", k + 1, step.from, step.method.id(), step.to);
                for a in &step.actions {
                    let _ = writeln!(s, "       {a}");
                }
                for st in &step.statements {
                    let _ = writeln!(s, "       allowed by {st}");
                }
            }
        }
        if self.steps_redecided > 0 {
            let steps = crate::text::counted(self.steps_redecided, "step", "steps");
            let _ =
                writeln!(s, "\n{steps} above, each decided again by the engine on its concrete principal and target");
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        s
    }

    fn picture_edges(&self) -> Vec<(String, String, &'static str)> {
        let mut edges = Vec::new();
        for path in &self.paths {
            for step in &path.steps {
                let e = (step.from.clone(), step.to.clone(), step.method.id());
                if !edges.contains(&e) {
                    edges.push(e);
                }
            }
        }
        edges
    }

    /// Graphviz DOT: principals on paths, admins in red, one arrow per step.
    pub fn to_dot(&self) -> String {
        let mut s = String::from("digraph escalation {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
        for a in &self.admins {
            let _ = writeln!(s, "  \"{a}\" [color=red, style=bold];");
        }
        for (from, to, method) in self.picture_edges() {
            let _ = writeln!(s, "  \"{from}\" -> \"{to}\" [label=\"{method}\"];");
        }
        s.push_str("}\n");
        s
    }

    /// Mermaid flowchart: the same picture as [`EscalationReport::to_dot`].
    pub fn to_mermaid(&self) -> String {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut s = String::from("flowchart LR\n");
        let mut id = |arn: &str, s: &mut String| -> String {
            let n = ids.len();
            let k = *ids.entry(arn.to_string()).or_insert_with(|| {
                let _ = writeln!(s, "  n{n}[\"{}\"]", arn.replace('"', "'"));
                n
            });
            format!("n{k}")
        };
        for (from, to, method) in self.picture_edges() {
            let a = id(&from, &mut s);
            let b = id(&to, &mut s);
            let _ = writeln!(s, "  {a} -->|{method}| {b}");
        }
        let admin_ids: Vec<String> = self.admins.iter().filter_map(|a| ids.get(a).map(|k| format!("n{k}"))).collect();
        if !admin_ids.is_empty() {
            let _ = writeln!(s, "  classDef admin stroke:#d00,stroke-width:3px");
            let _ = writeln!(s, "  class {} admin", admin_ids.join(","));
        }
        s
    }
}
