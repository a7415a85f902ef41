package dave

import (
	"bytes"
	"errors"
	"testing"
)

func testBase() []byte { return SenderBaseSecret(bytes.Repeat([]byte{9}, 32), 1234567890) }

func TestEncryptDecryptRoundTrip(t *testing.T) {
	var e Encryptor
	if e.Ready() {
		t.Fatal("ready before a key")
	}
	if _, err := e.Encrypt(make([]byte, 100), []byte{1, 2, 3}); !errors.Is(err, ErrNotReady) {
		t.Fatalf("no key: %v", err)
	}
	if err := e.SetKey(testBase()); err != nil {
		t.Fatal(err)
	}
	d := NewDecryptor(testBase())
	dst := make([]byte, 2000)
	for i, size := range []int{1, 2, 60, 127, 128, 400, 1275} {
		frame := bytes.Repeat([]byte{byte(i + 1)}, size)
		n, err := e.Encrypt(dst, frame)
		if err != nil {
			t.Fatal(err)
		}
		out := dst[:n]
		if n > size+MaxOverhead || n < size+12 {
			t.Fatalf("size %d -> %d", size, n)
		}
		if out[n-1] != 0xFA || out[n-2] != 0xFA {
			t.Fatalf("no marker: %x", out[n-4:])
		}
		f, err := ParseFrame(out)
		if err != nil {
			t.Fatal(err)
		}
		if f.Nonce != uint32(i+1) {
			t.Errorf("nonce %d, want %d (pre-incremented)", f.Nonce, i+1)
		}
		pt, err := d.Decrypt(out)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(pt, frame) {
			t.Fatalf("frame %d differs", i)
		}
		if _, err := d.Decrypt(out); !errors.Is(err, ErrAuth) {
			t.Errorf("replay accepted: %v", err)
		}
		bad := append([]byte{}, out...)
		bad[0] ^= 1
		if _, err := NewDecryptor(testBase()).Decrypt(bad); !errors.Is(err, ErrAuth) {
			t.Errorf("tampered ciphertext: %v", err)
		}
		bad = append([]byte{}, out...)
		bad[size] ^= 1
		if _, err := NewDecryptor(testBase()).Decrypt(bad); !errors.Is(err, ErrAuth) {
			t.Errorf("tampered tag: %v", err)
		}
	}
	// Silence passes through unencrypted.
	n, err := e.Encrypt(dst, silence[:])
	if err != nil || !bytes.Equal(dst[:n], silence[:]) {
		t.Errorf("silence: %x %v", dst[:n], err)
	}
	if _, err := e.Encrypt(make([]byte, 10), make([]byte, 10)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("short dst: %v", err)
	}
	// A new key restarts the nonce counter.
	base2 := SenderBaseSecret(bytes.Repeat([]byte{8}, 32), 1234567890)
	if err := e.SetKey(base2); err != nil {
		t.Fatal(err)
	}
	n, err = e.Encrypt(dst, []byte{5, 5, 5, 5})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := ParseFrame(dst[:n]); f.Nonce != 1 {
		t.Errorf("nonce after new key %d", f.Nonce)
	}
	if _, err := NewDecryptor(testBase()).Decrypt(dst[:n]); !errors.Is(err, ErrAuth) {
		t.Errorf("old key decrypted new epoch: %v", err)
	}
	if pt, err := NewDecryptor(base2).Decrypt(dst[:n]); err != nil || !bytes.Equal(pt, []byte{5, 5, 5, 5}) {
		t.Errorf("new key: %v", err)
	}
	e.SetPassthrough(true)
	n, _ = e.Encrypt(dst, []byte{7, 7})
	if !bytes.Equal(dst[:n], []byte{7, 7}) {
		t.Errorf("passthrough altered the frame")
	}
	e.Close()
}

func TestGenerationRollover(t *testing.T) {
	var e Encryptor
	if err := e.SetKey(testBase()); err != nil {
		t.Fatal(err)
	}
	e.Encrypt(make([]byte, 64), []byte{1}) // install
	e.cur.counter = 1<<24 - 2
	d := NewDecryptor(testBase())
	dst := make([]byte, 64)
	for i := range 3 {
		n, err := e.Encrypt(dst, []byte{1, 2, 3, byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := ParseFrame(dst[:n])
		if pt, err := d.Decrypt(dst[:n]); err != nil || pt[3] != byte(i) {
			t.Fatalf("nonce %#x: %v", f.Nonce, err)
		}
	}
	if e.cur.generation != 1 {
		t.Errorf("generation %d", e.cur.generation)
	}
}

func TestEncryptAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	var e Encryptor
	if err := e.SetKey(testBase()); err != nil {
		t.Fatal(err)
	}
	frame := bytes.Repeat([]byte{3}, 160)
	dst := make([]byte, len(frame)+MaxOverhead)
	if a := testing.AllocsPerRun(1000, func() {
		if _, err := e.Encrypt(dst, frame); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Encrypt allocates %v per frame", a)
	}
}

func BenchmarkEncrypt(b *testing.B) {
	var e Encryptor
	if err := e.SetKey(testBase()); err != nil {
		b.Fatal(err)
	}
	frame := bytes.Repeat([]byte{3}, 160) // ~64 kbit/s Opus frame
	dst := make([]byte, len(frame)+MaxOverhead)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := e.Encrypt(dst, frame); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseFrame(f *testing.F) {
	var e Encryptor
	if err := e.SetKey(testBase()); err != nil {
		f.Fatal(err)
	}
	dst := make([]byte, 64)
	n, _ := e.Encrypt(dst, []byte{1, 2, 3, 4})
	f.Add(dst[:n])
	f.Add([]byte{0xF8, 0xFF, 0xFE})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 12, 0xFA, 0xFA})
	f.Fuzz(func(t *testing.T, b []byte) {
		if fr, err := ParseFrame(b); err == nil && len(fr.Tag) != tagLen {
			t.Fatal("bad tag length")
		}
		_, _ = NewDecryptor(testBase()).Decrypt(b)
	})
}

// TestKeyChangeWhileSending runs SetKey concurrently with the send loop
// (meaningful under -race) and checks every frame decrypts with one of the keys.
func TestKeyChangeWhileSending(t *testing.T) {
	var e Encryptor
	bases := [][]byte{testBase(), SenderBaseSecret(bytes.Repeat([]byte{1}, 32), 5), SenderBaseSecret(bytes.Repeat([]byte{2}, 32), 5)}
	if err := e.SetKey(bases[0]); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			if err := e.SetKey(bases[i%3]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	dst := make([]byte, 64)
	frame := []byte{1, 2, 3, 4, 5}
	for range 2000 {
		n, err := e.Encrypt(dst, frame)
		if err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, b := range bases {
			if pt, err := NewDecryptor(b).Decrypt(dst[:n]); err == nil && bytes.Equal(pt, frame) {
				ok = true
			}
		}
		if !ok {
			t.Fatal("frame decrypts with none of the keys")
		}
	}
	<-done
	e.Close()
}
