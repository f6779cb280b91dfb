"""The invoices service: a second application on the same lower layers."""

import shop

print(f"invoices service: invoice total {shop.money(19900)} (shop library {shop.VERSION})")
