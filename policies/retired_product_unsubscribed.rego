# Rule retired-product-unsubscribed (error): a retired product serves no one. Every
# subscription to it is removed (or moved to its successor) before it is retired.
package partnerctl.rules.retired_product_unsubscribed

import data.partnerctl.lib
import rego.v1

deny contains finding if {
	some name, partner in input.partners
	some i, sub in partner.spec.subscriptions
	input.products[sub.product].spec.lifecycle == "retired"
	finding := {
		"rule": "retired-product-unsubscribed",
		"msg": sprintf("%s still subscribes to %s, which is retired; remove the subscription", [name, sub.product]),
		"resource": lib.partner(name),
		"path": sprintf("/spec/subscriptions/%d", [i]),
	}
}
