package aac

// spectralCodes lists codebooks 1–11 (ISO 14496-3 Tables 4.A.2–4.A.12) in
// index order: spectralCodes[cb][i] = {codeword, length} for codebook index
// i, where i packs the tuple as in §4.6.3.3 (unsigned books: |values| in
// radix mod; signed: values+mod/2). Books left empty are not yet typed in
// from the standard; streams using them fail with ErrUnsupported.
// TestSpectralBooks checks every non-empty book: entry count, Kraft sum
// exactly 1, prefix-free, lookup round trip.
var spectralCodes [12][]huffCode
