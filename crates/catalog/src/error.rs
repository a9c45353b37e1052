//! The catalog's one error type.

/// What can go wrong when loading the catalog or looking a name up in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The embedded data file is malformed (a bad regeneration; tests catch it).
    #[error("invalid catalog data at line {line}: {message}")]
    Data {
        /// 1-based line in the data file.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A name that is not `service:Action`.
    #[error("`{name}` is not an action name of the form `service:ActionName`")]
    MalformedAction {
        /// The name as given.
        name: String,
    },
    /// A service prefix the catalog does not know.
    #[error("unknown service `{prefix}`{}", did_you_mean(.suggestions))]
    UnknownService {
        /// The prefix as given.
        prefix: String,
        /// The closest known prefixes, best first.
        suggestions: Vec<String>,
    },
    /// An action the catalog does not know.
    #[error("unknown action `{name}`{}", did_you_mean(.suggestions))]
    UnknownAction {
        /// The action as given.
        name: String,
        /// The closest known actions (`service:ActionName`), best first.
        suggestions: Vec<String>,
    },
    /// A pattern with wildcards that matches no action.
    #[error("`{pattern}` matches no action{}", did_you_mean(.suggestions))]
    NoMatch {
        /// The pattern as given.
        pattern: String,
        /// Close actions or services, best first.
        suggestions: Vec<String>,
    },
    /// An access level that is not one of AWS's five.
    #[error("unknown access level `{given}` (expected List, Read, Write, Permissions management or Tagging)")]
    UnknownAccessLevel {
        /// The level as given.
        given: String,
    },
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => {
            let quoted: Vec<String> = many.iter().map(|s| format!("`{s}`")).collect();
            format!("; did you mean one of {}?", quoted.join(", "))
        }
    }
}
