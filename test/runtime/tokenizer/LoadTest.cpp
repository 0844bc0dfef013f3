//===- LoadTest.cpp - loading tokenizer files and every way it can fail ---===//

#include "test/runtime/TempDir.h"
#include "test/runtime/tokenizer/TokenizerTestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <regex>

using namespace xgenmm;
using namespace xgenmm::runtime;
using namespace xgenmm::tokenizer_test;

namespace {

const char *kFiles[] = {"tokenizer.model", "tokenizer_config.json",
                        "special_tokens_map.json", "added_tokens.json"};

class TokenizerLoad : public ::testing::Test {
protected:
  void SetUp() override {
    for (const char *name : kFiles)
      std::filesystem::copy_file(modelDir() + "/" + name, dir_ / name);
    std::string error;
    config_ = *parseJson(readFile(dir_ / "tokenizer_config.json"), error);
  }

  /// Rewrites tokenizer_config.json as the reference one with member `key`
  /// of the object at `path` set to `value` (removed if nullopt).
  void editConfig(const std::vector<std::string> &path, const std::string &key,
                  const std::optional<JsonValue> &value) {
    ASSERT_TRUE(writeFile(dir_ / "tokenizer_config.json",
                          edited(config_, path, 0, key, value).serialize()));
  }

  static JsonValue edited(const JsonValue &object,
                          const std::vector<std::string> &path, size_t depth,
                          const std::string &key,
                          const std::optional<JsonValue> &value) {
    std::vector<std::pair<std::string, JsonValue>> members;
    bool found = false;
    for (const auto &[k, v] : object.asObject()) {
      if (depth < path.size() && k == path[depth]) {
        members.emplace_back(k, edited(v, path, depth + 1, key, value));
      } else if (depth == path.size() && k == key) {
        found = true;
        if (value)
          members.emplace_back(k, *value);
      } else {
        members.emplace_back(k, v);
      }
    }
    if (depth == path.size() && !found && value)
      members.emplace_back(key, *value);
    return JsonValue::object(std::move(members));
  }

  std::unique_ptr<Tokenizer> load() {
    std::unique_ptr<Tokenizer> t;
    status_ = Tokenizer::load(dir_.path(), t);
    return t;
  }

  /// Loading fails with `status` and a message matching `pattern`.
  void expectError(xgenmm_status status, const std::string &pattern) {
    EXPECT_FALSE(load());
    EXPECT_EQ(status_, status) << xgenmm_last_error();
    EXPECT_TRUE(std::regex_search(std::string(xgenmm_last_error()),
                                  std::regex(pattern)))
        << xgenmm_last_error() << "\n  does not match " << pattern;
  }

  std::vector<xgenmm_token> encode(const Tokenizer &t,
                                   const std::string &text) {
    std::vector<xgenmm_token> ids;
    EXPECT_EQ(t.encode(text, ids), XGENMM_OK);
    return ids;
  }

  fake::TempDir dir_;
  JsonValue config_;
  xgenmm_status status_ = XGENMM_OK;
};

TEST_F(TokenizerLoad, ReferenceCopyLoads) {
  auto t = load();
  ASSERT_TRUE(t) << xgenmm_last_error();
  EXPECT_EQ(t->size(), 32015);
}

TEST_F(TokenizerLoad, MissingDirectory) {
  std::unique_ptr<Tokenizer> t;
  EXPECT_EQ(Tokenizer::load(dir_ / "nope", t), XGENMM_ERROR_IO);
  EXPECT_FALSE(t);
  EXPECT_EQ(std::string(xgenmm_last_error()), "tokenizer directory " +
                                                  (dir_ / "nope") +
                                                  ": not a readable directory");
}

TEST_F(TokenizerLoad, MissingModel) {
  std::filesystem::remove(dir_ / "tokenizer.model");
  expectError(XGENMM_ERROR_IO,
              "/tokenizer.model: cannot open: No such file or directory$");
}

TEST_F(TokenizerLoad, ModelIsADirectory) {
  std::filesystem::remove(dir_ / "tokenizer.model");
  std::filesystem::create_directory(dir_ / "tokenizer.model");
  expectError(XGENMM_ERROR_IO, "/tokenizer.model: not a regular file$");
}

TEST_F(TokenizerLoad, EmptyModel) {
  ASSERT_TRUE(writeFile(dir_ / "tokenizer.model", ""));
  expectError(
      XGENMM_ERROR_BAD_ARTIFACT,
      "/tokenizer.model: not a SentencePiece model: the file is empty$");
}

TEST_F(TokenizerLoad, TextFileAsModel) {
  ASSERT_TRUE(
      writeFile(dir_ / "tokenizer.model", "{\"model\": \"not really\"}\n"));
  expectError(XGENMM_ERROR_BAD_ARTIFACT,
              "/tokenizer.model: not a SentencePiece model: ");
}

TEST_F(TokenizerLoad, TruncatedModel) {
  std::string bytes = readFile(modelDir() + "/tokenizer.model");
  ASSERT_TRUE(
      writeFile(dir_ / "tokenizer.model", bytes.substr(0, bytes.size() / 2)));
  expectError(
      XGENMM_ERROR_BAD_ARTIFACT,
      "/tokenizer.model: not a SentencePiece model: at byte [0-9]+: truncated");
}

TEST_F(TokenizerLoad, ModelWithoutPieces) {
  // A well-formed protobuf message: field 2 (trainer_spec), empty.
  ASSERT_TRUE(writeFile(dir_ / "tokenizer.model", std::string("\x12\x00", 2)));
  expectError(XGENMM_ERROR_BAD_ARTIFACT,
              "/tokenizer.model: not a SentencePiece model: it has no pieces$");
}

TEST_F(TokenizerLoad, CorruptPieces) {
  // Flip bytes inside the piece table: well-formed protobuf, bad model.
  std::string bytes = readFile(modelDir() + "/tokenizer.model");
  std::string junk = bytes;
  for (size_t i = 1000; i < 1400; ++i)
    junk[i] = static_cast<char>(0xFF);
  ASSERT_TRUE(writeFile(dir_ / "tokenizer.model", junk));
  expectError(XGENMM_ERROR_BAD_ARTIFACT,
              "/tokenizer.model: not a SentencePiece model: ");
}

TEST_F(TokenizerLoad, MissingConfig) {
  std::filesystem::remove(dir_ / "tokenizer_config.json");
  expectError(XGENMM_ERROR_IO,
              "/tokenizer_config.json: missing \\(the tokenizer needs "
              "tokenizer_config.json beside tokenizer.model\\)$");
}

TEST_F(TokenizerLoad, MalformedConfig) {
  ASSERT_TRUE(
      writeFile(dir_ / "tokenizer_config.json", "{\"legacy\": false,}"));
  expectError(XGENMM_ERROR_BAD_ARTIFACT,
              "/tokenizer_config.json: at byte 17: ");
  ASSERT_TRUE(writeFile(dir_ / "tokenizer_config.json", "[]"));
  expectError(
      XGENMM_ERROR_BAD_ARTIFACT,
      "/tokenizer_config.json: expected a JSON object, found an array$");
}

TEST_F(TokenizerLoad, BadFields) {
  editConfig({"added_tokens_decoder", "32007"}, "rstrip",
             JsonValue::string("yes"));
  expectError(XGENMM_ERROR_BAD_ARTIFACT,
              "tokenizer_config.json: added_tokens_decoder.32007.rstrip must "
              "be a boolean$");
  editConfig({"added_tokens_decoder", "32007"}, "content", std::nullopt);
  expectError(XGENMM_ERROR_BAD_ARTIFACT,
              "tokenizer_config.json: added_tokens_decoder.32007.content must "
              "be a string$");
  editConfig({"added_tokens_decoder"}, "x1",
             JsonValue::object({{"content", JsonValue::string("<x>")}}));
  expectError(XGENMM_ERROR_BAD_ARTIFACT,
              "tokenizer_config.json: added_tokens_decoder.x1: the key must be "
              "a token id$");
  editConfig({"added_tokens_decoder"}, "5",
             JsonValue::object({{"content", JsonValue::string("<|end|>")}}));
  expectError(
      XGENMM_ERROR_BAD_ARTIFACT,
      "tokenizer_config.json: the added token '<\\|end\\|>' has two ids$");
  editConfig({}, "add_bos_token", JsonValue::integer(0));
  expectError(XGENMM_ERROR_BAD_ARTIFACT, "tokenizer_config.json: add_bos_token "
                                         "must be a boolean, found a number$");
  editConfig({}, "eos_token", JsonValue::integer(3));
  expectError(XGENMM_ERROR_BAD_ARTIFACT,
              "tokenizer_config.json: eos_token must be an object");
}

TEST_F(TokenizerLoad, UnsupportedSettings) {
  editConfig({"added_tokens_decoder", "32007"}, "single_word",
             JsonValue::boolean(true));
  expectError(XGENMM_ERROR_UNSUPPORTED,
              "added_tokens_decoder.32007: single_word added "
              "tokens are not supported$");
  editConfig({}, "tokenizer_class", JsonValue::string("GPT2Tokenizer"));
  expectError(XGENMM_ERROR_UNSUPPORTED,
              "tokenizer_class 'GPT2Tokenizer' is not supported");
  editConfig({}, "clean_up_tokenization_spaces", JsonValue::boolean(true));
  expectError(XGENMM_ERROR_UNSUPPORTED,
              "clean_up_tokenization_spaces: true is not supported$");
  editConfig(
      {}, "sp_model_kwargs",
      JsonValue::object({{"enable_sampling", JsonValue::boolean(true)}}));
  expectError(XGENMM_ERROR_UNSUPPORTED, "sp_model_kwargs other than \\{\\}");
  editConfig({}, "unk_token", JsonValue::null());
  expectError(XGENMM_ERROR_UNSUPPORTED,
              "unk_token is null; LlamaTokenizer needs one$");
}

TEST_F(TokenizerLoad, AddBosToken) {
  editConfig({}, "add_bos_token", JsonValue::boolean(true));
  auto t = load();
  ASSERT_TRUE(t) << xgenmm_last_error();
  auto ids = encode(*t, "Hello");
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(std::vector<xgenmm_token>(ids.begin() + 1, ids.end()),
            encode(*referenceTokenizer(), "Hello"));
  EXPECT_EQ(encode(*t, ""), std::vector<xgenmm_token>{1});
}

// Files that already hold the xGen-MM tokens (a saved, updated tokenizer)
// give the same ids: update_special_tokens reuses them.
TEST_F(TokenizerLoad, XgenmmTokensAlreadyPresent) {
  int id = 32012;
  for (std::string_view token :
       {kImageToken, kImagePlaceholderToken, kEndOfChunkToken}) {
    editConfig(
        {"added_tokens_decoder"}, std::to_string(id++),
        JsonValue::object({{"content", JsonValue::string(std::string(token))},
                           {"special", JsonValue::boolean(true)}}));
    std::string error;
    config_ = *parseJson(readFile(dir_ / "tokenizer_config.json"), error);
  }
  auto t = load();
  ASSERT_TRUE(t) << xgenmm_last_error();
  EXPECT_EQ(t->size(), 32015);
  EXPECT_EQ(t->imageTokenId(), 32012);
  EXPECT_EQ(t->imagePlaceholderTokenId(), 32013);
  EXPECT_EQ(t->endOfChunkTokenId(), 32014);
  for (const JsonValue &c : goldenList("encode"))
    EXPECT_EQ(encode(*t, str(c, "text")), idsOf(*c.get("ids")))
        << str(c, "name");
}

// Without added_tokens_decoder the ids and flags come from added_tokens.json
// and special_tokens_map.json, as transformers' legacy path does: the same
// ids, but nothing is rstrip any more.
TEST_F(TokenizerLoad, LegacyLayoutMatchesTransformers) {
  editConfig({}, "added_tokens_decoder", std::nullopt);
  auto t = load();
  ASSERT_TRUE(t) << xgenmm_last_error();
  const JsonValue &legacy = *goldens().get("legacy");
  EXPECT_EQ(t->size(), legacy.get("tokenizer_len")->asInteger());
  const auto &cases = legacy.get("encode")->asArray();
  ASSERT_GT(cases.size(), 200u);
  for (const JsonValue &c : cases) {
    std::vector<xgenmm_token> ids = encode(*t, str(c, "text"));
    EXPECT_EQ(ids, idsOf(*c.get("ids"))) << str(c, "name");
    for (bool skip : {false, true}) {
      std::string text;
      ASSERT_EQ(t->decode(ids.data(), ids.size(), skip, text), XGENMM_OK);
      EXPECT_EQ(text, str(c, skip ? "decode_skip_special" : "decode"))
          << str(c, "name");
    }
  }
  // "<|user|>\nhi": the newline stays.
  std::vector<xgenmm_token> ids = encode(*t, "<|user|>\nhi");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), t->tokenId("<0x0A>")), 1);
}

TEST_F(TokenizerLoad, LegacyLayoutErrors) {
  editConfig({}, "added_tokens_decoder", std::nullopt);
  ASSERT_TRUE(writeFile(dir_ / "added_tokens.json", "{\"<x>\": \"7\"}"));
  expectError(XGENMM_ERROR_BAD_ARTIFACT,
              "/added_tokens.json: <x>: the value must be a token id$");
  ASSERT_TRUE(writeFile(dir_ / "added_tokens.json", "{\"<x>\": 7"));
  expectError(XGENMM_ERROR_BAD_ARTIFACT, "/added_tokens.json: at byte ");
  std::filesystem::remove(dir_ / "added_tokens.json");
  ASSERT_TRUE(writeFile(dir_ / "special_tokens_map.json",
                        "{\"additional_special_tokens\": 3}"));
  expectError(
      XGENMM_ERROR_BAD_ARTIFACT,
      "/special_tokens_map.json: additional_special_tokens must be an array$");
}

TEST_F(TokenizerLoad, InvalidUtf8Text) {
  auto t = load();
  ASSERT_TRUE(t);
  std::vector<xgenmm_token> ids;
  EXPECT_EQ(t->encode("ok \xC3\x28", ids), XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(xgenmm_last_error(),
               "tokenizer: the text is not valid UTF-8 (byte 3)");
  EXPECT_EQ(t->encode("\xED\xA0\x80", ids),
            XGENMM_ERROR_INVALID_ARGUMENT); // a surrogate
}

} // namespace
