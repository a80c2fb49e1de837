//! Data that Rust built, handed to a template without copying it.
//!
//! A render's context is a `serde_json::Value` (a gateway's decK document, the partners of a
//! `template:` output). Converting it into minijinja's own values copies every node, and a
//! program of 100,000 partners then holds its context twice. [`Data`] instead shares one
//! tree between the render and every value a template reads out of it: a map or list is an
//! object that points into the tree, and only what a template actually reads (a field, a
//! loop's item) becomes a minijinja value, when it is read.
//!
//! To the template a `Data` is what the converted value would be: a map keeps its key order,
//! a list its items, numbers, strings, booleans and `null` (`none`) read the same. The `json`
//! and `yaml` filters write it straight from the tree ([`Data::json`]). The template budget
//! counts a `Data` by its size only when a value serialises data of the same tree a second
//! time ([`super::budget::check_value`]): the program's own data, written once, is as large as
//! the program, and a template that repeats it still pays for every copy.
//!
//! A [`Data::model`] goes one step further: it holds Rust's own model (a gateway's decK
//! document), which the `json` and `yaml` filters write straight through its `Serialize`;
//! its JSON tree is made only if the template reads into it.

use minijinja::value::{Enumerator, Object, ObjectExt, ObjectRepr, Value};
use serde::Serialize;
use serde_json::Value as Json;
use std::sync::{Arc, OnceLock};

/// A node of a shared JSON tree: the tree and the path from its root.
#[derive(Debug)]
pub struct Data {
    root: Arc<Root>,
    path: Box<[Step]>,
}

/// A tree, or a model that makes its tree when a template first reads into it.
#[derive(Debug)]
struct Root {
    tree: OnceLock<Json>,
    model: Option<Box<dyn Model>>,
}

impl Root {
    fn tree(&self) -> &Json {
        self.tree
            .get_or_init(|| self.model.as_ref().map_or(Json::Null, |m| m.tree()))
    }
}

/// Rust data a template reads as the mapping it serialises to. The `json` and `yaml` filters
/// write it straight from the model; its tree is made only if the template reads a field.
pub trait Model: Send + Sync + std::fmt::Debug + 'static {
    /// As a JSON tree.
    fn tree(&self) -> Json;
    /// Written as JSON, indented when `pretty`.
    fn json(&self, pretty: bool) -> Result<String, String>;
    /// Written as a YAML document.
    fn yaml(&self) -> Result<String, String>;
}

impl<T: Serialize + Send + Sync + std::fmt::Debug + 'static> Model for T {
    fn tree(&self) -> Json {
        // A model's keys are strings (it serialises to a mapping), so this does not fail; a
        // model that did would read as `none`, and its `yaml` and `json` would say why.
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    fn json(&self, pretty: bool) -> Result<String, String> {
        if pretty {
            serde_json::to_string_pretty(self)
        } else {
            serde_json::to_string(self)
        }
        .map_err(|e| e.to_string())
    }

    fn yaml(&self) -> Result<String, String> {
        yaml_serde::to_string(self).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(Box<str>),
    Index(usize),
}

impl Data {
    /// The template value of a whole tree.
    pub fn value(root: Json) -> Value {
        let root = Root {
            tree: OnceLock::from(root),
            model: None,
        };
        Data::at(&Arc::new(root), Box::new([]))
    }

    /// The template value of a model that serialises to a mapping: the template reads it as
    /// that mapping, and only a read into it makes the tree.
    pub fn model(model: impl Model) -> Value {
        Value::from_object(Data {
            root: Arc::new(Root {
                tree: OnceLock::new(),
                model: Some(Box::new(model)),
            }),
            path: Box::new([]),
        })
    }

    /// The model this is the whole of, if it is one.
    pub fn whole_model(&self) -> Option<&dyn Model> {
        if !self.path.is_empty() {
            return None;
        }
        self.root.model.as_deref()
    }

    /// The value of the node at `path` of `root`: an object for a map or list, a plain value
    /// for anything else.
    fn at(root: &Arc<Root>, path: Box<[Step]>) -> Value {
        let data = Data {
            root: Arc::clone(root),
            path,
        };
        match data.json() {
            Json::Object(_) | Json::Array(_) => Value::from_object(data),
            scalar => scalar_value(scalar),
        }
    }

    /// The node this points at.
    pub fn json(&self) -> &Json {
        let mut node = self.root.tree();
        for step in &self.path {
            node = match (step, node) {
                (Step::Key(k), Json::Object(m)) => m.get(&**k).unwrap_or(&Json::Null),
                (Step::Index(i), Json::Array(items)) => items.get(*i).unwrap_or(&Json::Null),
                _ => &Json::Null,
            };
        }
        node
    }

    /// Which tree it belongs to (the address of its root), for the budget.
    pub fn tree(&self) -> usize {
        Arc::as_ptr(&self.root) as usize
    }

    fn child(&self, step: Step) -> Value {
        // A scalar is read out at once; only a map or list gets a path of its own.
        let node = match (&step, self.json()) {
            (Step::Key(k), Json::Object(m)) => m.get(&**k),
            (Step::Index(i), Json::Array(items)) => items.get(*i),
            _ => None,
        };
        match node {
            Some(Json::Object(_) | Json::Array(_)) => {}
            Some(scalar) => return scalar_value(scalar),
            None => return Value::from(()),
        }
        let mut path = Vec::with_capacity(self.path.len() + 1);
        path.extend(self.path.iter().cloned());
        path.push(step);
        Data::at(&self.root, path.into_boxed_slice())
    }
}

/// A JSON scalar as minijinja reads it after a serde conversion.
fn scalar_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(_) | Json::Object(_) => Value::from(()),
    }
}

impl Object for Data {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        if self.whole_model().is_some() {
            // A model is a mapping: asking does not make its tree.
            return ObjectRepr::Map;
        }
        match self.json() {
            Json::Array(_) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.json() {
            Json::Object(m) => {
                let k = key.as_str()?;
                m.contains_key(k).then(|| self.child(Step::Key(k.into())))
            }
            Json::Array(items) => {
                let i = usize::try_from(key.as_i64()?).ok()?;
                (i < items.len()).then(|| self.child(Step::Index(i)))
            }
            _ => None,
        }
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match self.json() {
            Json::Object(m) => m.contains_key(key).then(|| self.child(Step::Key(key.into()))),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.json() {
            Json::Object(_) => self.mapped_enumerator(|this| match this.json() {
                Json::Object(m) => Box::new(m.keys().map(|k| Value::from(k.as_str()))),
                _ => Box::new(std::iter::empty()),
            }),
            Json::Array(items) => {
                let len = items.len();
                self.mapped_enumerator(move |this| Box::new((0..len).map(move |i| this.child(Step::Index(i)))))
            }
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.json() {
            Json::Object(m) => Some(m.len()),
            Json::Array(items) => Some(items.len()),
            _ => Some(0),
        }
    }
}

/// The nodes of a JSON tree, itself included, counted up to `limit` (then `limit + 1`).
pub fn size(v: &Json, limit: usize) -> usize {
    let mut todo = vec![v];
    let mut n = 0;
    while let Some(node) = todo.pop() {
        n += 1;
        if n > limit {
            break;
        }
        match node {
            Json::Object(m) => todo.extend(m.values()),
            Json::Array(items) => todo.extend(items),
            _ => {}
        }
    }
    n
}

#[cfg(test)]
impl Data {
    /// Whether reading has made this data's JSON tree (a model is written without one).
    pub(crate) fn tree_built(&self) -> bool {
        self.root.tree.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(template: &str, ctx: Json) -> String {
        let mut env = minijinja::Environment::new();
        env.add_template("t", template).unwrap();
        env.get_template("t").unwrap().render(Data::value(ctx)).unwrap()
    }

    fn converted(template: &str, ctx: Json) -> String {
        let mut env = minijinja::Environment::new();
        env.add_template("t", template).unwrap();
        env.get_template("t")
            .unwrap()
            .render(Value::from(minijinja::value::Serde(ctx)))
            .unwrap()
    }

    #[test]
    fn reads_as_the_converted_value_does() {
        let ctx = json!({
            "z": 1, "a": [ {"name": "acme", "n": 2, "x": null, "ok": true}, {"name": "beta", "n": -3, "f": 1.5} ],
            "m": {"k2": "v2", "k1": "v1"}, "empty": [], "s": "<b>",
        });
        for t in [
            "{% for p in a %}{{ p.name }}={{ p.n }};{{ p.x is none }}{{ p.ok }}{{ p.f }}|{% endfor %}",
            "{{ a | length }} {{ m | length }} {{ empty | length }} {{ a[1].name }} {{ m['k1'] }} {{ s }}",
            "{% for k, v in m | items %}{{ k }}:{{ v }},{% endfor %}{% for k in m %}{{ k }}{% endfor %}",
            "{{ a | map(attribute='name') | join(',') }} {{ a | selectattr('ok') | list | length }}",
            "{{ a | sort(attribute='name', reverse=true) | map(attribute='n') | list }}",
            "{% if empty %}x{% else %}y{% endif %}{% if a %}x{% endif %}{{ missing is undefined }}",
            "{{ a[0] }} {{ m }} {{ a | tojson }} {{ 'name' in a[0] }} {{ a[5] is undefined }}",
            "{{ m == {'k2': 'v2', 'k1': 'v1'} }} {{ a[0].n + 1 }} {{ a | first | attr('name') }}",
        ] {
            assert_eq!(render(t, ctx.clone()), converted(t, ctx.clone()), "{t}");
        }
    }

    #[test]
    fn counts_nodes_up_to_a_limit() {
        let v = json!({"a": [1, 2, {"b": 3}], "c": "x"});
        assert_eq!(size(&v, 100), 7);
        assert_eq!(size(&v, 3), 4);
    }
}
