package media

// mp4 demuxes the first audio track of an ISO BMFF (MP4/M4A) file,
// regular or fragmented (ISO/IEC 14496-12).
type mp4 struct {
	in    *input
	track trackInfo
}
