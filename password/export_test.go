package password

// Hooks for the external tests.

// AroundWork makes every hashing operation of h (argon2id and bcrypt) run
// inside around, so a test can observe or stub the work.
func AroundWork(h *Hasher, around func(work func())) {
	idKey, bcryptCmp := h.idKey, h.bcryptCompare
	h.idKey = func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		var key []byte
		around(func() { key = idKey(password, salt, time, memory, threads, keyLen) })
		return key
	}
	h.bcryptCompare = func(hash, password []byte) error {
		var err error
		around(func() { err = bcryptCmp(hash, password) })
		return err
	}
}

// StubArgon2 replaces argon2id with a function that records its parameters
// and returns a zero key of the requested length (for the fuzz target, whose
// inputs may ask for a gigabyte of memory).
func StubArgon2(h *Hasher, record func(p Params)) {
	h.idKey = func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		record(Params{Memory: memory, Iterations: time, Parallelism: threads, SaltLength: uint32(len(salt)), KeyLength: keyLen})
		return make([]byte, keyLen)
	}
}

// ParseArgon2id and EncodeArgon2id expose the PHC codec.
func ParseArgon2id(s string) (Params, []byte, []byte, error) {
	h, err := parseArgon2id(s)
	if err != nil {
		return Params{}, nil, nil, err
	}
	return h.params, h.salt, h.key, nil
}

func EncodeArgon2id(p Params, salt, key []byte) string { return encodeArgon2id(p, salt, key) }
