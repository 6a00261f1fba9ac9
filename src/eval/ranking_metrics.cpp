// Ranking metrics: written with the eval module.
