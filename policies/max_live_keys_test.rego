package partnerctl.rules.max_live_keys_test

import data.partnerctl.rules.max_live_keys.deny
import rego.v1

key(id, env) := {"id": id, "environment": env, "created": "2026-01-01", "secretRef": "vault://x"}

test_three_live_keys_are_denied if {
	creds := [key("a", "sandbox"), key("b", "sandbox"), key("c", "production"), key("d", "sandbox")]
	findings := deny with input as {"partners": {"acme": {"spec": {"credentials": creds}}}, "today": "2026-11-01"}
	count(findings) == 1
	some f in findings
	f.resource == "partner/acme"
	f.path == "/spec/credentials/3"
}

test_revoked_and_expired_keys_do_not_count if {
	creds := [
		key("a", "sandbox"),
		key("b", "sandbox"),
		object.union(key("c", "sandbox"), {"revoked": "2026-05-01"}),
		object.union(key("d", "sandbox"), {"expires": "2026-10-01"}),
	]
	count(deny) == 0 with input as {"partners": {"acme": {"spec": {"credentials": creds}}}, "today": "2026-11-01"}
}

test_two_keys_per_environment_pass if {
	creds := [key("a", "sandbox"), key("b", "sandbox"), key("c", "production"), key("d", "production")]
	count(deny) == 0 with input as {"partners": {"acme": {"spec": {"credentials": creds}}}, "today": "2026-11-01"}
}
