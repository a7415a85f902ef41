package mls

import (
	"crypto/hpke"
	"encoding/binary"
	"math"
)

// KeyPackageBundle is a KeyPackage with its private keys.
type KeyPackageBundle struct {
	KeyPackage KeyPackage
	InitPriv   hpke.PrivateKey
	EncPriv    hpke.PrivateKey
	Signer     *SignatureKey
}

// UserIdentity encodes a Discord user id as a basic credential identity.
func UserIdentity(userID uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, userID)
}

// DefaultCapabilities are the leaf capabilities DAVE members advertise.
func DefaultCapabilities() Capabilities {
	return Capabilities{
		Versions:     []uint16{ProtocolVersion},
		CipherSuites: []uint16{CipherSuite},
		Credentials:  []uint16{CredentialBasic},
	}
}

// NewKeyPackage builds a signed KeyPackage with a basic credential for
// userID and the lifetime 0..2^64-1 the DAVE gateway expects. A nil signer
// generates a fresh signature key.
func NewKeyPackage(userID uint64, signer *SignatureKey) (*KeyPackageBundle, error) {
	var err error
	if signer == nil {
		if signer, err = GenerateSignatureKey(); err != nil {
			return nil, err
		}
	}
	initPriv, err := generateHPKEKey()
	if err != nil {
		return nil, err
	}
	encPriv, err := generateHPKEKey()
	if err != nil {
		return nil, err
	}
	b := &KeyPackageBundle{InitPriv: initPriv, EncPriv: encPriv, Signer: signer}
	kp := &b.KeyPackage
	kp.InitKey = initPriv.PublicKey().Bytes()
	kp.LeafNode = LeafNode{
		EncryptionKey: encPriv.PublicKey().Bytes(),
		SignatureKey:  signer.Public(),
		Credential:    Credential{Type: CredentialBasic, Identity: UserIdentity(userID)},
		Capabilities:  DefaultCapabilities(),
		Source:        SourceKeyPackage,
		NotBefore:     0,
		NotAfter:      math.MaxUint64,
	}
	if err := kp.LeafNode.sign(signer, nil, 0); err != nil {
		return nil, err
	}
	var w Writer
	kp.writeTBS(&w)
	if kp.Signature, err = signer.SignWithLabel("KeyPackageTBS", w.Bytes()); err != nil {
		return nil, err
	}
	return b, nil
}
