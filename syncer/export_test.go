package syncer

// NextStep exposes nextStep to the tests.
var NextStep = nextStep
