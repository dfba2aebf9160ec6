"""Learning controllers through the physics: networks (nn), optimizers (optim), the trainer (train)."""
