"""Back ends: the ``RecoveryService`` and ``InventorySource`` protocols and their implementations."""
