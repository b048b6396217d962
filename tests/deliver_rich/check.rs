//! Collecting what is wrong with a JSON body, by path.

use serde_json::Value;

/// Problems are collected as `path: what`.
#[derive(Default)]
pub struct Check {
    problems: Vec<String>,
}

impl Check {
    pub fn new() -> Check {
        Check {
            problems: Vec::new(),
        }
    }

    pub fn fail(&mut self, path: &str, what: impl std::fmt::Display) {
        self.problems.push(format!("{path}: {what}"));
    }

    /// `v` is an object with every key of `required` and no key outside
    /// `allowed` (the schemas say `additionalProperties: false`).
    pub fn object(&mut self, path: &str, v: &Value, required: &[&str], allowed: &[&str]) {
        let Some(map) = v.as_object() else {
            return self.fail(path, "not an object");
        };
        for key in required {
            if !map.contains_key(*key) {
                self.fail(path, format!("`{key}` is required"));
            }
        }
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) && !required.contains(&key.as_str()) {
                self.fail(path, format!("`{key}` is not a documented property"));
            }
        }
    }

    pub fn string(&mut self, path: &str, v: &Value, max_chars: usize) {
        match v.as_str() {
            Some(s) if s.chars().count() <= max_chars => {}
            Some(s) => self.fail(
                path,
                format!("{} characters, over {max_chars}", s.chars().count()),
            ),
            None => self.fail(path, "not a string"),
        }
    }

    pub fn one_of(&mut self, path: &str, v: &Value, values: &[&str]) {
        if !v.as_str().is_some_and(|s| values.contains(&s)) {
            self.fail(path, format!("{v} is none of {values:?}"));
        }
    }

    pub fn array<'v>(&mut self, path: &str, v: &'v Value) -> &'v [Value] {
        match v.as_array() {
            Some(items) => items,
            None => {
                self.fail(path, "not an array");
                &[]
            }
        }
    }

    pub fn done(self) -> Vec<String> {
        self.problems
    }
}
