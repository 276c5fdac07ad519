// viz: filled in by its owner.
export {};
