//===- Xxh64Test.cpp - XXH64 against published and reference values -------===//
//
// The sanity buffer and its expected hashes follow xxHash's own sanity test
// (tests/sanity_test_vectors.h: bytes from a PRIME32 seed multiplied by
// PRIME64); the lengths cover every tail path (0-3 single bytes, a 4-byte
// word, 8-byte words) below and above one 32-byte stripe.
//
//===----------------------------------------------------------------------===//

#include "runtime/Xxh64.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace xgenmm::runtime;

namespace {

std::vector<unsigned char> sanityBuffer(size_t size) {
  std::vector<unsigned char> buffer(size);
  uint64_t generator = 2654435761U; // PRIME32
  for (unsigned char &byte : buffer) {
    byte = static_cast<unsigned char>(generator >> 56);
    generator *= 11400714785074694797ULL; // PRIME64
  }
  return buffer;
}

uint64_t hashOf(const std::string &s, uint64_t seed = 0) {
  return xxh64(s.data(), s.size(), seed);
}

TEST(Xxh64, PublishedStrings) {
  EXPECT_EQ(xxh64(nullptr, 0), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(hashOf(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(hashOf("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(hashOf("abc"), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(hashOf("Nobody inspects the spammish repetition"),
            0xFBCEA83C8A378BF1ULL);
}

TEST(Xxh64, SanityBufferEveryPath) {
  struct Case {
    size_t size;
    uint64_t seed0, seedPrime32;
  };
  const Case cases[] = {
      {0, 0xef46db3751d8e999ULL, 0xac75fda2929b17efULL},
      {1, 0xe934a84adb052768ULL, 0x5014607643a9b4c3ULL},
      {3, 0xff7e1959cb50794aULL, 0xaa8584e83660f7d1ULL},
      {4, 0x9136a0dca57457eeULL, 0xcaab286bd8e9fdb5ULL},
      {7, 0x6c83909a9f01ed25ULL, 0xf98d03b1ad6f9293ULL},
      {8, 0xcdbcf538e71d1348ULL, 0xfe0c047a5353cdacULL},
      {14, 0x8282dcc4994e35c8ULL, 0xc3bd6bf63deb6df0ULL},
      {31, 0x299b39a290e6d783ULL, 0xda673d5feb5c1d79ULL},
      {32, 0x18b216492bb44b70ULL, 0xb3f33bdf93ade409ULL},
      {33, 0x55c8dc3e578f5b59ULL, 0xe92c292f64bc3071ULL},
      {63, 0xa9efbe0fa0f3f4e7ULL, 0x6c911fadb05b6fc2ULL},
      {64, 0xef558f8acac2b5cdULL, 0xb5eeba99264cc44fULL},
      {100, 0x4bfe019cd91d9ea4ULL, 0x4853706dc9625caeULL},
      {222, 0xb641ae8cb691c174ULL, 0x20cb8ab7ae10c14aULL},
      {2367, 0xa82418ddec0ea581ULL, 0xa36a93c18052673aULL},
  };
  std::vector<unsigned char> buffer = sanityBuffer(2367);
  for (const Case &c : cases) {
    EXPECT_EQ(xxh64(buffer.data(), c.size), c.seed0) << "size " << c.size;
    EXPECT_EQ(xxh64(buffer.data(), c.size, 2654435761U), c.seedPrime32)
        << "size " << c.size;
  }
}

TEST(Xxh64, UnalignedInputHashesTheSame) {
  std::vector<unsigned char> buffer = sanityBuffer(300);
  std::vector<unsigned char> shifted(buffer.size() + 3);
  std::memcpy(shifted.data() + 3, buffer.data(), buffer.size());
  EXPECT_EQ(xxh64(shifted.data() + 3, 222), 0xb641ae8cb691c174ULL);
}

TEST(Xxh64, FormatsAsSixteenLowercaseHexDigits) {
  EXPECT_EQ(formatXxh64(0xEF46DB3751D8E999ULL), "ef46db3751d8e999");
  EXPECT_EQ(formatXxh64(0x1ULL), "0000000000000001");
}

} // namespace

// Hashing in pieces gives the one-shot hash, whatever the cut points.
TEST(Xxh64StreamTest, PiecesGiveTheOneShotHash) {
  std::vector<unsigned char> data(1000);
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (auto &b : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = (unsigned char)x;
  }
  for (size_t size : {0u, 3u, 31u, 32u, 33u, 100u, 1000u}) {
    uint64_t want = xgenmm::runtime::xxh64(data.data(), size, 7);
    for (size_t piece : {1u, 5u, 31u, 32u, 64u, 999u}) {
      xgenmm::runtime::Xxh64Stream s(7);
      for (size_t at = 0; at < size; at += piece)
        s.update(data.data() + at, std::min(piece, size - at));
      EXPECT_EQ(s.digest(), want) << size << " bytes in pieces of " << piece;
    }
  }
}
