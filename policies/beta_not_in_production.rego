# Rule beta-not-in-production (error): a beta product never reaches production. No partner
# subscribes to a product whose lifecycle is `beta` in the production environment; promote
# the product to `ga` first.
package partnerctl.rules.beta_not_in_production

import data.partnerctl.lib
import rego.v1

deny contains finding if {
	some name, partner in input.partners
	some i, sub in partner.spec.subscriptions
	sub.environment == "production"
	input.products[sub.product].spec.lifecycle == "beta"
	finding := {
		"rule": "beta-not-in-production",
		"msg": sprintf("%s subscribes to %s in production, but %s is still beta; beta products stay in sandbox until they are ga", [name, sub.product, sub.product]),
		"resource": lib.partner(name),
		"path": sprintf("/spec/subscriptions/%d", [i]),
	}
}
