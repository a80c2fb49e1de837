# Rule key-rotation (warning): a live key older than a year gets rotated. Issue a new key,
# move the partner over, then set `revoked` on the old one.
package partnerctl.rules.key_rotation

import data.partnerctl.lib
import rego.v1

warn contains finding if {
	cutoff := lib.one_year_before(input.today)
	some name, partner in input.partners
	some i, c in partner.spec.credentials
	c.created < cutoff
	lib.live_credential(c)
	finding := {
		"rule": "key-rotation",
		"msg": sprintf("key %s of %s was issued on %s, more than a year ago; issue a new key and revoke this one", [c.id, name, c.created]),
		"resource": lib.partner(name),
		"path": sprintf("/spec/credentials/%d", [i]),
	}
}
