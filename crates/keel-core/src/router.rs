//! Maps (method, path) to an endpoint id, built once at start-up from the route table.

use std::collections::BTreeSet;

/// A route as configured: a method (`"*"` for any) and a path pattern with `:name` params.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: String,
    pub path: String,
}

/// Which endpoints a path pattern has, by method.
#[derive(Debug, Default)]
struct PathEndpoints {
    by_method: Vec<(String, u32)>,
    any_method: Option<u32>,
}

/// The outcome of routing one request.
#[derive(Debug, PartialEq, Eq)]
pub enum RouteMatch<'p> {
    /// Endpoint id (from 1) and the path params, in pattern order.
    Found { endpoint: u32, params: Vec<(&'p str, &'p str)> },
    /// The path exists but not for this method; `allow` lists the methods it has.
    MethodNotAllowed { allow: Vec<String> },
    NotFound,
}

/// Why a route table was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError(pub String);

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Router {
    paths: matchit::Router<usize>,
    endpoints: Vec<PathEndpoints>,
}

/// Converts `/blog/:id/*rest` into matchit's `/blog/{id}/{*rest}`.
fn to_matchit_pattern(path: &str) -> Result<String, RouteError> {
    if !path.starts_with('/') {
        return Err(RouteError(format!("route path {path:?} must start with '/'")));
    }
    let mut out = String::with_capacity(path.len() + 8);
    let mut names: Vec<&str> = Vec::new();
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if let Some(name) = segment.strip_prefix(':') {
            if name.is_empty() {
                return Err(RouteError(format!("route path {path:?} has a ':' with no parameter name after it, like /users/:id")));
            }
            // The handler gets the params by name: a second `:id` would silently hide the first.
            if names.contains(&name) {
                return Err(RouteError(format!(
                    "route path {path:?} names the parameter {name:?} twice; give each parameter a name of its own"
                )));
            }
            names.push(name);
            out.push('{');
            out.push_str(name);
            out.push('}');
        } else if let Some(name) = segment.strip_prefix('*') {
            out.push_str("{*");
            out.push_str(if name.is_empty() { "rest" } else { name });
            out.push('}');
        } else {
            // matchit reserves braces; escape them so that they match literally.
            out.push_str(&segment.replace('{', "{{").replace('}', "}}"));
        }
    }
    Ok(out)
}

impl Router {
    /// Builds a router; route `i` in `routes` becomes endpoint `i + 1`.
    pub fn new(routes: &[RouteSpec]) -> Result<Router, RouteError> {
        let mut paths = matchit::Router::new();
        let mut endpoints: Vec<PathEndpoints> = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        for (i, route) in routes.iter().enumerate() {
            let endpoint = i as u32 + 1;
            let pattern = to_matchit_pattern(&route.path)?;
            let method = route.method.to_ascii_uppercase();
            let slot = match patterns.iter().position(|p| *p == pattern) {
                Some(slot) => slot,
                None => {
                    paths.insert(pattern.clone(), endpoints.len()).map_err(|e| {
                        RouteError(format!("route {} {}: {e}", route.method, route.path))
                    })?;
                    patterns.push(pattern);
                    endpoints.push(PathEndpoints::default());
                    endpoints.len() - 1
                }
            };
            let entry = &mut endpoints[slot];
            let duplicate = if method == "*" {
                entry.any_method.replace(endpoint).is_some()
            } else if entry.by_method.iter().any(|(m, _)| *m == method) {
                true
            } else {
                entry.by_method.push((method, endpoint));
                false
            };
            if duplicate {
                return Err(RouteError(format!(
                    "route {} {} is declared twice",
                    route.method, route.path
                )));
            }
        }
        Ok(Router { paths, endpoints })
    }

    /// Params borrow from both the router (names) and the path (values).
    pub fn route<'a>(&'a self, method: &str, path: &'a str) -> RouteMatch<'a> {
        // An app served through its own router (keel/hono, keel/elysia) has no Keel routes: every
        // request is for the fallback, and the tree need not be touched at all.
        if self.endpoints.is_empty() {
            return RouteMatch::NotFound;
        }
        let Ok(found) = self.paths.at(path) else {
            return RouteMatch::NotFound;
        };
        let entry = &self.endpoints[*found.value];
        let lookup = |m: &str| entry.by_method.iter().find(|(name, _)| name == m).map(|(_, e)| *e);
        // HEAD falls back to GET, as HTTP servers conventionally do.
        let endpoint = lookup(method)
            .or_else(|| (method == "HEAD").then(|| lookup("GET")).flatten())
            .or(entry.any_method);
        match endpoint {
            Some(endpoint) => RouteMatch::Found {
                endpoint,
                params: found.params.iter().collect(),
            },
            None => {
                let mut allow: BTreeSet<String> =
                    entry.by_method.iter().map(|(m, _)| m.clone()).collect();
                if allow.contains("GET") {
                    allow.insert("HEAD".to_owned());
                }
                RouteMatch::MethodNotAllowed { allow: allow.into_iter().collect() }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(method: &str, path: &str) -> RouteSpec {
        RouteSpec { method: method.into(), path: path.into() }
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let router = Router::new(&[]).unwrap();
        assert_eq!(router.route("GET", "/"), RouteMatch::NotFound);
        assert_eq!(router.route("POST", "/anything/at/all"), RouteMatch::NotFound);
    }

    #[test]
    fn matches_methods_params_and_fallbacks() {
        let router = Router::new(&[
            spec("GET", "/hello"),
            spec("POST", "/echo"),
            spec("GET", "/blog/:id"),
            spec("*", "/any"),
            spec("GET", "/files/*path"),
        ])
        .unwrap();
        assert_eq!(router.route("GET", "/hello"), RouteMatch::Found { endpoint: 1, params: vec![] });
        assert_eq!(router.route("HEAD", "/hello"), RouteMatch::Found { endpoint: 1, params: vec![] });
        assert_eq!(
            router.route("GET", "/blog/42"),
            RouteMatch::Found { endpoint: 3, params: vec![("id", "42")] }
        );
        assert_eq!(router.route("DELETE", "/any"), RouteMatch::Found { endpoint: 4, params: vec![] });
        assert_eq!(
            router.route("GET", "/files/a/b.txt"),
            RouteMatch::Found { endpoint: 5, params: vec![("path", "a/b.txt")] }
        );
        assert_eq!(
            router.route("GET", "/echo"),
            RouteMatch::MethodNotAllowed { allow: vec!["POST".into()] }
        );
        assert_eq!(router.route("GET", "/nope"), RouteMatch::NotFound);
    }

    #[test]
    fn same_path_different_methods_share_a_pattern() {
        let router = Router::new(&[spec("GET", "/x/:id"), spec("PUT", "/x/:id")]).unwrap();
        assert_eq!(router.route("PUT", "/x/1"), RouteMatch::Found { endpoint: 2, params: vec![("id", "1")] });
    }

    #[test]
    fn rejects_bad_tables_with_a_reason() {
        let error = |routes: &[RouteSpec]| Router::new(routes).err().expect("rejected").0;
        assert!(error(&[spec("GET", "nope")]).contains("must start with '/'"));
        assert!(error(&[spec("GET", "/a"), spec("get", "/a")]).contains("twice"));
        assert!(Router::new(&[spec("GET", "/a/:x"), spec("GET", "/a/:y")]).is_err());
        assert!(error(&[spec("GET", "/a/:id/b/:id")]).contains(r#"names the parameter "id" twice"#));
        assert!(error(&[spec("GET", "/a/:")]).contains("no parameter name"));
        assert!(Router::new(&[spec("GET", "/a/:id/b/:other")]).is_ok());
    }
}
