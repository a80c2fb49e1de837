# Rule max-live-keys (error): a partner keeps at most two live keys per environment: the
# current one and, while rotating, the next. A live key is neither revoked nor expired
# on the --as-of date. The finding points at the first key over the limit.
package partnerctl.rules.max_live_keys

import data.partnerctl.lib
import rego.v1

max_live := 2

deny contains finding if {
	some name, partner in input.partners
	some env in ["sandbox", "production"]
	live := [i | some i, c in partner.spec.credentials; c.environment == env; lib.live_credential(c)]
	count(live) > max_live
	finding := {
		"rule": "max-live-keys",
		"msg": sprintf("%s has %d live %s keys; keep at most %d (revoke the old key when rotating)", [name, count(live), env, max_live]),
		"resource": lib.partner(name),
		"path": sprintf("/spec/credentials/%d", [live[max_live]]),
	}
}
