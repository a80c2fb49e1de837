//! Tests of the template engine's parts together: budgets with filters, data with filters
//! and budgets.

mod data {
    use crate::template::data::Data;
    use minijinja::Value;
    use serde_json::json;

    #[test]
    fn a_model_reads_as_its_tree_and_is_written_without_one() {
        let ctx = json!({
            "services": [{"name": "shipments", "tags": ["a", "b"], "port": 8443, "ok": true}],
            "consumers": [{"username": "acme", "keys": [{"key": "{vault://env/acme}"}]}, {"username": "beta"}],
            "empty": {},
        });
        let mut env = minijinja::Environment::new();
        env.add_filter("yaml", crate::template::filters::yaml);
        env.add_filter("json", crate::template::filters::json);
        for t in [
            "{% for s in d.services %}{{ s.name }}:{{ s.port }}{{ s.tags | join(',') }}{% endfor %}",
            "{{ d.consumers | length }} {{ d.consumers[0].keys[0].key }} {{ d.empty | length }} {{ d.missing is undefined }}",
            "{% for k in d %}{{ k }},{% endfor %} {{ d | length }} {{ d is mapping }} {{ d | tojson }}",
            "{{ d.consumers | map(attribute='username') | join(',') }} {{ d['services'][0]['ok'] }}",
        ] {
            env.add_template_owned("t", t).unwrap();
            let render = |d: Value| env.get_template("t").unwrap().render(minijinja::context! {d}).unwrap();
            assert_eq!(
                render(Data::model(ctx.clone())),
                render(Data::value(ctx.clone())),
                "{t}"
            );
        }
        for t in ["{{ d | yaml }}", "{{ d | json }}", "{{ d | json(2) }}"] {
            env.add_template_owned("t", t).unwrap();
            let model = Data::model(ctx.clone());
            let written = env
                .get_template("t")
                .unwrap()
                .render(minijinja::context! {d => model.clone()})
                .unwrap();
            let from_tree = env
                .get_template("t")
                .unwrap()
                .render(minijinja::context! {d => Data::value(ctx.clone())})
                .unwrap();
            assert_eq!(written, from_tree, "{t}");
            let data = model.downcast_object_ref::<Data>().unwrap();
            assert!(!data.tree_built(), "{t} wrote the model without making its tree");
        }
    }

    #[test]
    fn the_budget_counts_data_once_free_and_every_repeat_in_full() {
        use crate::template::budget::{TemplateBudget, install, render};
        // Larger written than the render's output budget: written once it passes (it is the
        // program's data, as large as the program); written twice, or a part of it again,
        // the repeat counts in full.
        let budget = TemplateBudget {
            output_bytes: 1024 * 1024,
            ..TemplateBudget::default()
        };
        let big = json!({"items": (0..300_000).collect::<Vec<_>>()});
        for (t, ok) in [
            ("{{ (d | tojson) | length }}", true),
            ("{{ ([d, 1] | tojson) | length }}", true),
            ("{{ ([d, d] | tojson) | length }}", false),
            ("{{ ([d, d.items] | tojson) | length }}", false),
        ] {
            let mut env = minijinja::Environment::new();
            env.add_template("t.j2", t).unwrap();
            install(&mut env, budget);
            let r = render(&env, "t.j2", minijinja::context! {d => Data::value(big.clone())});
            match (r, ok) {
                (Ok(_), true) => {}
                (Err(crate::output::RenderError::Budget { what, .. }), false) => {
                    assert!(what.contains("cannot be serialised"), "{t}: {what}")
                }
                (r, _) => panic!("{t}: {r:?}"),
            }
        }
    }
}

mod budget {
    use crate::output::RenderError;
    use crate::spec::LimitsSpec;
    use crate::template::budget::*;
    use minijinja::Environment;
    use std::time::{Duration, Instant};

    fn env_with(budget: TemplateBudget, name: &'static str, source: &'static str) -> Environment<'static> {
        let mut env = Environment::new();
        env.add_template(name, source).unwrap();
        env.add_filter("json", crate::template::filters::json);
        install(&mut env, budget);
        env
    }

    fn is_budget(r: Result<String, RenderError>, want: &str) -> String {
        match r {
            Err(RenderError::Budget { name, what }) => {
                assert_eq!(name, "t.j2");
                assert!(what.contains(want), "{what}");
                what
            }
            other => panic!("expected a budget error, got {other:?}"),
        }
    }

    #[test]
    fn nested_loops_run_out_of_fuel_quickly() {
        // A tenth of the default keeps the test quick in debug builds.
        let budget = TemplateBudget {
            fuel: DEFAULT_FUEL / 10,
            ..TemplateBudget::default()
        };
        let env = env_with(
            budget,
            "t.j2",
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        );
        let start = Instant::now();
        is_budget(
            render(&env, "t.j2", crate::template::data::Data::value(serde_json::json!({}))),
            "fuel",
        );
        assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
    }

    #[test]
    fn the_default_output_limit_is_256_mib() {
        assert_eq!(TemplateBudget::default().output_bytes, 256 * 1024 * 1024);
        let raised = LimitsSpec {
            template_output_bytes: Some(u64::MAX),
            ..LimitsSpec::default()
        };
        assert_eq!(TemplateBudget::from_limits(&raised).output_bytes, MAX_OUTPUT_BYTES);
    }

    #[test]
    fn output_over_the_limit_is_refused() {
        let budget = TemplateBudget {
            output_bytes: 1000,
            ..TemplateBudget::default()
        };
        let env = env_with(budget, "t.j2", "{% for i in range(1000) %}0123456789{% endfor %}");
        is_budget(
            render(&env, "t.j2", crate::template::data::Data::value(serde_json::json!({}))),
            "1000 bytes",
        );
        let env = env_with(budget, "t.j2", "{% for i in range(10) %}0123456789{% endfor %}");
        assert_eq!(
            render(&env, "t.j2", crate::template::data::Data::value(serde_json::json!({})))
                .unwrap()
                .len(),
            100
        );
    }

    #[test]
    fn deep_values_built_in_a_namespace_are_refused_not_overflowed() {
        for filter in ["tojson", "json"] {
            let src: &'static str = Box::leak(
                format!(
                    "{{% set ns = namespace(x=[]) %}}{{% for i in range(100000) %}}{{% set ns.x = [ns.x] %}}{{% endfor %}}{{{{ ns.x|{filter} }}}}"
                )
                .into_boxed_str(),
            );
            let env = env_with(TemplateBudget::default(), "t.j2", src);
            is_budget(
                render(&env, "t.j2", crate::template::data::Data::value(serde_json::json!({}))),
                "nested deeper",
            );
        }
    }

    #[test]
    fn shared_values_are_not_walked_forever() {
        let env = env_with(
            TemplateBudget::default(),
            "t.j2",
            "{% set ns = namespace(x=[1]) %}{% for i in range(60) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ ns.x|tojson }}",
        );
        is_budget(
            render(&env, "t.j2", crate::template::data::Data::value(serde_json::json!({}))),
            "",
        );
    }

    #[test]
    fn self_calling_macros_hit_the_recursion_limit() {
        let env = env_with(
            TemplateBudget::default(),
            "t.j2",
            "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
        );
        is_budget(
            render(&env, "t.j2", crate::template::data::Data::value(serde_json::json!({}))),
            "recurses",
        );
    }

    #[test]
    fn an_ordinary_template_renders() {
        let env = env_with(TemplateBudget::default(), "t.j2", "{{ a|tojson }} {{ a|json }}");
        assert_eq!(
            render(
                &env,
                "t.j2",
                crate::template::data::Data::value(serde_json::json!({"a": [1, {"b": 2}]}))
            )
            .unwrap(),
            r#"[1, {"b": 2}] [1,{"b":2}]"#
        );
    }
}
