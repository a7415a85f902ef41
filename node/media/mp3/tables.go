package mp3

import "math"

// Scale factor band boundaries (Table B.8 of 11172-3 and 13818-3), by
// sample rate index: 44100, 48000, 32000, 22050, 24000, 16000, 11025,
// 12000, 8000.
var sfbLong = [9][23]uint16{
	{0, 4, 8, 12, 16, 20, 24, 30, 36, 44, 52, 62, 74, 90, 110, 134, 162, 196, 238, 288, 342, 418, 576},
	{0, 4, 8, 12, 16, 20, 24, 30, 36, 42, 50, 60, 72, 88, 106, 128, 156, 190, 230, 276, 330, 384, 576},
	{0, 4, 8, 12, 16, 20, 24, 30, 36, 44, 54, 66, 82, 102, 126, 156, 194, 240, 296, 364, 448, 550, 576},
	{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
	{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 114, 136, 162, 194, 232, 278, 330, 394, 464, 540, 576},
	{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
	{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
	{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
	{0, 12, 24, 36, 48, 60, 72, 88, 108, 132, 160, 192, 232, 280, 336, 400, 476, 566, 568, 570, 572, 574, 576},
}

// sfbShort holds boundaries of one window's short bands (×3 for lines).
var sfbShort = [9][14]uint16{
	{0, 4, 8, 12, 16, 22, 30, 40, 52, 66, 84, 106, 136, 192},
	{0, 4, 8, 12, 16, 22, 28, 38, 50, 64, 80, 100, 126, 192},
	{0, 4, 8, 12, 16, 22, 30, 42, 58, 78, 104, 138, 180, 192},
	{0, 4, 8, 12, 18, 24, 32, 42, 56, 74, 100, 132, 174, 192},
	{0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 136, 180, 192},
	{0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 134, 174, 192},
	{0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 134, 174, 192},
	{0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 134, 174, 192},
	{0, 8, 16, 24, 36, 52, 72, 96, 124, 160, 162, 164, 166, 192},
}

// pretab is added to long-block scale factors when preflag is set.
var pretab = [22]uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 2, 0}

// MPEG-1 scalefac_compress → (slen1, slen2).
var slen1 = [16]uint8{0, 0, 0, 0, 3, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4}
var slen2 = [16]uint8{0, 1, 2, 3, 0, 1, 2, 3, 1, 2, 3, 1, 2, 3, 2, 3}

// nrOfSfb is 13818-3's nr_of_sfb_block[table][block kind][group]; block
// kind 0 long, 1 short, 2 mixed.
var nrOfSfb = [6][3][4]uint8{
	{{6, 5, 5, 5}, {9, 9, 9, 9}, {6, 9, 9, 9}},
	{{6, 5, 7, 3}, {9, 9, 12, 6}, {6, 9, 12, 6}},
	{{11, 10, 0, 0}, {18, 18, 0, 0}, {15, 18, 0, 0}},
	{{7, 7, 7, 0}, {12, 12, 12, 0}, {6, 15, 12, 0}},
	{{6, 6, 6, 3}, {12, 9, 9, 6}, {6, 12, 9, 6}},
	{{8, 8, 5, 0}, {15, 12, 9, 0}, {6, 18, 9, 0}},
}

// pow43 is |x|^(4/3) for every value Huffman decoding can yield
// (15 + 13 linbits).
var pow43 = func() (t [8207]float32) {
	for i := range t {
		t[i] = float32(math.Pow(float64(i), 4.0/3.0))
	}
	return t
}()

// gainOffset indexes gainTable by a quarter-step exponent q: 2^(q/4).
const gainOffset = 600

var gainTable = func() (t [gainOffset + 64]float32) {
	for i := range t {
		t[i] = float32(math.Pow(2, float64(i-gainOffset)/4))
	}
	return t
}()

func gain(q int) float32 {
	q += gainOffset
	if q < 0 {
		return 0
	}
	if q >= len(gainTable) {
		q = len(gainTable) - 1
	}
	return gainTable[q]
}

// Alias reduction butterflies from the standard's c[i] (Table B.9).
var aliasCS, aliasCA = func() (cs, ca [8]float32) {
	c := [8]float64{-0.6, -0.535, -0.33, -0.185, -0.095, -0.041, -0.0142, -0.0037}
	for i, v := range c {
		sq := math.Sqrt(1 + v*v)
		cs[i] = float32(1 / sq)
		ca[i] = float32(v / sq)
	}
	return
}()

// isRatio holds MPEG-1 intensity stereo factors for is_pos 0..6:
// left = x·isRatio[p][0], right = x·isRatio[p][1].
var isRatio = func() (t [7][2]float32) {
	for p := range t {
		r := math.Tan(float64(p) * math.Pi / 12)
		t[p][0] = float32(r / (1 + r))
		t[p][1] = float32(1 / (1 + r))
	}
	return
}()
