package aac

// spectralCodes lists codebooks 1–11 (ISO 14496-3 Tables 4.A.2–4.A.12) in
// index order. Books left empty are not yet typed in from the standard;
// streams using them fail with ErrUnsupported.
var spectralCodes [12][]huffCode
