package format

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
)

// ManifestFile is one file of an export with its size and SHA-256.
type ManifestFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	// Features counts the features per layer the file holds, when it holds layers.
	Features map[string]int `json:"features,omitempty"`
}

// Checksum returns the size and hex SHA-256 of the file at path.
func Checksum(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// FileEntry checksums dir/name into a manifest entry.
func FileEntry(dir, name string, features map[string]int) (ManifestFile, error) {
	n, sum, err := Checksum(filepath.Join(dir, name))
	return ManifestFile{Name: name, Bytes: n, SHA256: sum, Features: features}, err
}

// WriteJSON writes v as indented JSON to path (the manifest).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
