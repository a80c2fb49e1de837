package partnerctl.rules.secret_ref_placeholder_test

import data.partnerctl.rules.secret_ref_placeholder.warn
import rego.v1

key(id, ref) := {"id": id, "environment": "sandbox", "created": "2026-10-01", "secretRef": ref}

test_placeholder_warns if {
	creds := [key("a", "vault://TODO/acme/a"), key("b", "vault://partners/acme/b")]
	findings := warn with input as {"partners": {"acme": {"spec": {"credentials": creds}}}, "today": "2026-11-01"}
	count(findings) == 1
	some f in findings
	f.path == "/spec/credentials/0/secretRef"
	f.resource == "partner/acme"
}

test_revoked_placeholder_passes if {
	creds := [object.union(key("a", "vault://TODO/acme/a"), {"revoked": "2026-10-15"})]
	count(warn) == 0 with input as {"partners": {"acme": {"spec": {"credentials": creds}}}, "today": "2026-11-01"}
}

test_a_path_merely_containing_todo_passes if {
	creds := [key("a", "vault://partners/todo-app/a")]
	count(warn) == 0 with input as {"partners": {"acme": {"spec": {"credentials": creds}}}, "today": "2026-11-01"}
}
