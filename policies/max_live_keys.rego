# Rule max-live-keys (error): a partner keeps at most two live keys per environment: the
# current one and, while rotating, the next. A live key is neither revoked nor expired
# on the --as-of date. The finding points at the first key over the limit.
package partnerctl.rules.max_live_keys

import rego.v1

max_live := 2

deny contains finding if {
	some name, partner in input.partners
	# One pass over the keys (this rule runs over every partner): live keys as [index, environment].
	live := [[i, c.environment] |
		some i, c in partner.spec.credentials
		not c.revoked <= input.today
		not c.expires <= input.today
	]
	count(live) > max_live
	some env in {e | some [_, e] in live}
	in_env := [i | some [i, e] in live; e == env]
	count(in_env) > max_live
	finding := {
		"rule": "max-live-keys",
		"msg": sprintf("%s has %d live %s keys; keep at most %d (revoke the old key when rotating)", [name, count(in_env), env, max_live]),
		"resource": concat("/", ["partner", name]),
		"path": sprintf("/spec/credentials/%d", [in_env[max_live]]),
	}
}
