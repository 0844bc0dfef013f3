//===- Tokenizer.cpp - the xGen-MM text tokenizer -------------------------===//
//
// Each step names the transformers 4.41 function it reproduces
// (tokenization_utils.py, tokenization_utils_base.py, models/llama/
// tokenization_llama.py).
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include "frontend/Json.h"
#include "runtime/Error.h"
#include "runtime/MappedFile.h"
#include "runtime/tokenizer/StreamDecoder.h"
#include "runtime/tokenizer/Utf8.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <utility>

#include <sys/stat.h>

using namespace xgenmm::runtime;
using xgenmm::JsonValue;

namespace {

constexpr std::string_view kUnderline = "\xE2\x96\x81"; // U+2581 "▁"

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string replaceAll(std::string_view text, std::string_view from,
                       std::string_view to) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(from, pos);
    out.append(text.substr(pos, hit - pos));
    if (hit == std::string_view::npos)
      return out;
    out.append(to);
    pos = hit + from.size();
  }
}

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 || errno != ENOENT;
}

/// SPECIAL_TOKENS_ATTRIBUTES, in transformers' order.
constexpr const char *kSpecialAttributes[] = {
    "bos_token", "eos_token", "unk_token", "sep_token",
    "pad_token", "cls_token", "mask_token"};
constexpr size_t kNumSpecialAttributes = 7;

} // namespace

namespace xgenmm::runtime {

/// Builds a Tokenizer from a checkpoint directory the way
/// `PreTrainedTokenizerBase._from_pretrained` + `LlamaTokenizer.__init__` +
/// `PreTrainedTokenizer.__init__` + `update_special_tokens` do.
class TokenizerLoader {
public:
  explicit TokenizerLoader(const std::string &directory)
      : dir_(directory), tok_(new Tokenizer()) {}

  xgenmm_status run(std::unique_ptr<Tokenizer> &out);

private:
  std::string path(const char *name) const { return dir_ + "/" + name; }
  xgenmm_status readJson(const std::string &file, JsonValue &value);
  xgenmm_status loadModel();
  xgenmm_status readConfig();
  xgenmm_status readLegacyFiles();
  xgenmm_status readAddedToken(const std::string &file,
                               const std::string &field, const JsonValue &value,
                               AddedToken &token);
  xgenmm_status readSpecialValue(const std::string &file,
                                 const std::string &field,
                                 const JsonValue &value,
                                 std::optional<AddedToken> &token);
  xgenmm_status readBool(const std::string &file, const JsonValue &config,
                         const char *field, bool &value);
  /// `PreTrainedTokenizer._add_tokens(tokens, special_tokens=True)`.
  void addTokens(const std::vector<AddedToken> &tokens);
  /// `len(set(get_vocab().keys()))`.
  int32_t vocabularyLength() const;
  /// `get_vocab().get(content)`, or -1.
  xgenmm_token vocabularyId(const std::string &content) const;
  void setAdded(xgenmm_token id, const AddedToken &token);
  std::vector<std::string> specialTokenStrings() const;

  std::string dir_;
  std::unique_ptr<Tokenizer> tok_;
  std::string configPath_;
  std::optional<AddedToken> special_[kNumSpecialAttributes];
  std::vector<AddedToken> additional_;
  bool haveDecoder_ = false;
  /// The saved added tokens by id (a later file's entry replaces an
  /// earlier one with the same id, as in the dict transformers builds).
  std::map<xgenmm_token, AddedToken> decoder_;
};

} // namespace xgenmm::runtime

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

xgenmm_status Tokenizer::load(const std::string &directory,
                              std::unique_ptr<Tokenizer> &out) {
  out.reset();
  TokenizerLoader loader(directory);
  return loader.run(out);
}

xgenmm_status TokenizerLoader::readJson(const std::string &file,
                                        JsonValue &value) {
  MappedFile mapped;
  XGENMM_TRY(mapped.open(file));
  std::string error;
  std::optional<JsonValue> parsed = parseJson(mapped.text(), error);
  if (!parsed)
    return fail(XGENMM_ERROR_BAD_ARTIFACT, file + ": " + error);
  if (!parsed->isObject())
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                file + ": expected a JSON object, found " +
                    JsonValue::kindName(parsed->kind()));
  value = std::move(*parsed);
  return XGENMM_OK;
}

xgenmm_status TokenizerLoader::loadModel() {
  std::string file = path("tokenizer.model");
  struct stat st;
  if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(XGENMM_ERROR_IO,
                "tokenizer directory " + dir_ + ": not a readable directory");
  MappedFile mapped;
  XGENMM_TRY(mapped.open(file));
  std::string_view bytes = mapped.text();
  std::string error;
  SentencePieceModelInfo info;
  if (bytes.empty())
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                file + ": not a SentencePiece model: the file is empty");
  if (!readSentencePieceModelInfo(bytes, info, error))
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                file + ": not a SentencePiece model: " + error);
  if (info.pieceCount == 0)
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                file + ": not a SentencePiece model: it has no pieces");
  // LlamaTokenizer.get_spm_processor with legacy=False.
  std::string patched = withoutDummyPrefix(bytes);
  if (!readSentencePieceModelInfo(patched, tok_->modelInfo_, error))
    return fail(XGENMM_ERROR_BAD_ARTIFACT, file + ": " + error);
  if (tok_->modelInfo_.hasDenormalizer)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                file + ": a denormalizer_spec with rules is not supported");
  tok_->processor_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
  sentencepiece::util::Status status =
      tok_->processor_->LoadFromSerializedProto(patched);
  if (!status.ok())
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                file + ": not a SentencePiece model: " + status.ToString());
  auto &sp = *tok_->processor_;
  tok_->pieceCount_ = sp.GetPieceSize();
  tok_->pieces_.reserve(tok_->pieceCount_);
  for (int i = 0; i < tok_->pieceCount_; ++i)
    tok_->pieces_.push_back(sp.IdToPiece(i));
  return XGENMM_OK;
}

xgenmm_status TokenizerLoader::readBool(const std::string &file,
                                        const JsonValue &config,
                                        const char *field, bool &value) {
  const JsonValue *v = config.get(field);
  if (!v)
    return XGENMM_OK;
  if (!v->isBool())
    return fail(XGENMM_ERROR_BAD_ARTIFACT, file + ": " + field +
                                               " must be a boolean, found " +
                                               JsonValue::kindName(v->kind()));
  value = v->asBool();
  return XGENMM_OK;
}

xgenmm_status TokenizerLoader::readAddedToken(const std::string &file,
                                              const std::string &field,
                                              const JsonValue &value,
                                              AddedToken &token) {
  // AddedToken(content, single_word=False, lstrip=False, rstrip=False,
  //            normalized=True, special=False)
  if (!value.isObject())
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                file + ": " + field + " must be an object, found " +
                    JsonValue::kindName(value.kind()));
  const JsonValue *content = value.get("content");
  if (!content || !content->isString())
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                file + ": " + field + ".content must be a string");
  if (content->asString().empty() ||
      utf8::findInvalid(content->asString()) != std::string_view::npos)
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                file + ": " + field + ".content must be non-empty UTF-8");
  token = AddedToken();
  token.content = content->asString();
  bool singleWord = false, normalized = true;
  struct {
    const char *name;
    bool *value;
  } flags[] = {{"lstrip", &token.lstrip},
               {"rstrip", &token.rstrip},
               {"special", &token.special},
               {"single_word", &singleWord},
               {"normalized", &normalized}};
  for (auto &flag : flags) {
    const JsonValue *v = value.get(flag.name);
    if (!v)
      continue;
    if (!v->isBool())
      return fail(XGENMM_ERROR_BAD_ARTIFACT,
                  file + ": " + field + "." + flag.name + " must be a boolean");
    *flag.value = v->asBool();
  }
  if (singleWord)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                file + ": " + field +
                    ": single_word added tokens are not supported");
  return XGENMM_OK;
}

xgenmm_status TokenizerLoader::readSpecialValue(
    const std::string &file, const std::string &field, const JsonValue &value,
    std::optional<AddedToken> &token) {
  if (value.isNull()) {
    token.reset();
    return XGENMM_OK;
  }
  AddedToken t;
  if (value.isString()) {
    // LlamaTokenizer.__init__: AddedToken(s, normalized=False, special=True).
    t.content = value.asString();
    if (t.content.empty() ||
        utf8::findInvalid(t.content) != std::string_view::npos)
      return fail(XGENMM_ERROR_BAD_ARTIFACT,
                  file + ": " + field + " must be non-empty UTF-8");
  } else {
    XGENMM_TRY(readAddedToken(file, field, value, t));
  }
  t.special = true;
  token = std::move(t);
  return XGENMM_OK;
}

xgenmm_status TokenizerLoader::readConfig() {
  configPath_ = path("tokenizer_config.json");
  const std::string &file = configPath_;
  if (!fileExists(file))
    return fail(XGENMM_ERROR_IO,
                file + ": missing (the tokenizer needs tokenizer_config.json "
                       "beside tokenizer.model)");
  JsonValue config;
  XGENMM_TRY(readJson(file, config));

  if (const JsonValue *cls = config.get("tokenizer_class");
      cls && cls->isString()) {
    const std::string &name = cls->asString();
    if (name != "LlamaTokenizer" && name != "LlamaTokenizerFast")
      return fail(XGENMM_ERROR_UNSUPPORTED,
                  file + ": tokenizer_class '" + name +
                      "' is not supported (LlamaTokenizer only)");
  }
  // LlamaTokenizer.__init__ defaults.
  special_[0] = AddedToken{"<s>", false, false, true};   // bos
  special_[1] = AddedToken{"</s>", false, false, true};  // eos
  special_[2] = AddedToken{"<unk>", false, false, true}; // unk
  for (size_t i = 0; i < kNumSpecialAttributes; ++i)
    if (const JsonValue *v = config.get(kSpecialAttributes[i]))
      XGENMM_TRY(
          readSpecialValue(file, kSpecialAttributes[i], *v, special_[i]));
  if (const JsonValue *v = config.get("additional_special_tokens");
      v && !v->isNull()) {
    if (!v->isArray())
      return fail(XGENMM_ERROR_BAD_ARTIFACT,
                  file + ": additional_special_tokens must be an array");
    for (size_t i = 0; i < v->asArray().size(); ++i) {
      std::optional<AddedToken> t;
      XGENMM_TRY(readSpecialValue(
          file, "additional_special_tokens[" + std::to_string(i) + "]",
          v->asArray()[i], t));
      if (t)
        additional_.push_back(*t);
    }
  }

  bool addBos = true, addEos = false, cleanUp = false, splitSpecial = false,
       lowerCase = false;
  XGENMM_TRY(readBool(file, config, "add_bos_token", addBos));
  XGENMM_TRY(readBool(file, config, "add_eos_token", addEos));
  XGENMM_TRY(readBool(file, config, "clean_up_tokenization_spaces", cleanUp));
  XGENMM_TRY(readBool(file, config, "split_special_tokens", splitSpecial));
  XGENMM_TRY(readBool(file, config, "do_lower_case", lowerCase));
  tok_->addBosToken_ = addBos;
  tok_->addEosToken_ = addEos;
  if (const JsonValue *v = config.get("add_prefix_space")) {
    if (!v->isBool() && !v->isNull())
      return fail(XGENMM_ERROR_BAD_ARTIFACT,
                  file + ": add_prefix_space must be a boolean or null");
    tok_->addPrefixSpace_ = v->isBool() && v->asBool();
  }
  if (cleanUp)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                file + ": clean_up_tokenization_spaces: true is not supported");
  if (splitSpecial)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                file + ": split_special_tokens: true is not supported");
  if (lowerCase)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                file + ": do_lower_case: true is not supported");
  if (const JsonValue *v = config.get("sp_model_kwargs");
      v && !v->isNull() && !(v->isObject() && v->asObject().empty()))
    return fail(
        XGENMM_ERROR_UNSUPPORTED,
        file + ": sp_model_kwargs other than {} (sampling) are not supported");
  // `legacy` is not read: the model cards pass legacy=False, which wins.

  const JsonValue *decoder = config.get("added_tokens_decoder");
  if (!decoder)
    return XGENMM_OK;
  if (!decoder->isObject())
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                file + ": added_tokens_decoder must be an object");
  haveDecoder_ = true;
  for (const auto &[key, value] : decoder->asObject()) {
    std::string field = "added_tokens_decoder." + key;
    char *end = nullptr;
    errno = 0;
    long long id = std::strtoll(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || errno != 0 || id < 0 || id > INT32_MAX)
      return fail(XGENMM_ERROR_BAD_ARTIFACT,
                  file + ": " + field + ": the key must be a token id");
    AddedToken token;
    XGENMM_TRY(readAddedToken(file, field, value, token));
    decoder_[static_cast<xgenmm_token>(id)] = std::move(token);
  }
  return XGENMM_OK;
}

std::vector<std::string> TokenizerLoader::specialTokenStrings() const {
  std::vector<std::string> out;
  for (const auto &t : special_)
    if (t)
      out.push_back(t->content);
  for (const auto &t : additional_)
    out.push_back(t.content);
  return out;
}

xgenmm_status TokenizerLoader::readLegacyFiles() {
  // special_tokens_map.json overrides the config's special tokens.
  std::string mapFile = path("special_tokens_map.json");
  if (fileExists(mapFile)) {
    JsonValue map;
    XGENMM_TRY(readJson(mapFile, map));
    for (const auto &[key, value] : map.asObject()) {
      if (key == "additional_special_tokens") {
        if (!value.isArray())
          return fail(XGENMM_ERROR_BAD_ARTIFACT,
                      mapFile + ": additional_special_tokens must be an array");
        for (size_t i = 0; i < value.asArray().size(); ++i) {
          std::optional<AddedToken> t;
          XGENMM_TRY(readSpecialValue(mapFile,
                                      key + "[" + std::to_string(i) + "]",
                                      value.asArray()[i], t));
          if (t && std::none_of(additional_.begin(), additional_.end(),
                                [&](const AddedToken &a) {
                                  return a.content == t->content;
                                }))
            additional_.push_back(*t);
        }
        continue;
      }
      for (size_t i = 0; i < kNumSpecialAttributes; ++i)
        if (key == kSpecialAttributes[i])
          XGENMM_TRY(readSpecialValue(mapFile, key, value, special_[i]));
    }
  }
  // added_tokens.json: {content: id}, stripping nothing.
  std::string addedFile = path("added_tokens.json");
  if (fileExists(addedFile)) {
    JsonValue added;
    XGENMM_TRY(readJson(addedFile, added));
    std::vector<std::string> specials = specialTokenStrings();
    for (const auto &[content, id] : added.asObject()) {
      if (!id.isInteger() || id.asInteger() < 0 || id.asInteger() > INT32_MAX)
        return fail(XGENMM_ERROR_BAD_ARTIFACT,
                    addedFile + ": " + content +
                        ": the value must be a token id");
      if (content.empty() ||
          utf8::findInvalid(content) != std::string_view::npos)
        return fail(XGENMM_ERROR_BAD_ARTIFACT,
                    addedFile + ": token contents must be non-empty UTF-8");
      AddedToken token;
      token.content = content;
      token.special = std::find(specials.begin(), specials.end(), content) !=
                      specials.end();
      decoder_[static_cast<xgenmm_token>(id.asInteger())] = std::move(token);
    }
  }
  // tokenizer.json's added_tokens, as the slow tokenizer takes them.
  std::string fastFile = path("tokenizer.json");
  if (fileExists(fastFile)) {
    JsonValue fast;
    XGENMM_TRY(readJson(fastFile, fast));
    const JsonValue *list = fast.get("added_tokens");
    if (!list || !list->isArray())
      return fail(XGENMM_ERROR_BAD_ARTIFACT,
                  fastFile + ": added_tokens must be an array");
    for (size_t i = 0; i < list->asArray().size(); ++i) {
      const JsonValue &entry = list->asArray()[i];
      std::string field = "added_tokens[" + std::to_string(i) + "]";
      const JsonValue *id = entry.get("id");
      if (!id || !id->isInteger() || id->asInteger() < 0 ||
          id->asInteger() > INT32_MAX)
        return fail(XGENMM_ERROR_BAD_ARTIFACT,
                    fastFile + ": " + field + ".id must be a token id");
      AddedToken token;
      XGENMM_TRY(readAddedToken(fastFile, field, entry, token));
      decoder_[static_cast<xgenmm_token>(id->asInteger())] = std::move(token);
    }
  }
  return XGENMM_OK;
}

void TokenizerLoader::setAdded(xgenmm_token id, const AddedToken &token) {
  tok_->addedById_[id] = token;
  tok_->addedByContent_[token.content] = id;
}

int32_t TokenizerLoader::vocabularyLength() const {
  // get_vocab(): {convert_ids_to_tokens(i): i for i < vocab_size} updated
  // with the added tokens; its length counts distinct strings.
  std::unordered_set<std::string_view> keys;
  keys.reserve(tok_->pieces_.size() + tok_->addedById_.size());
  for (int32_t i = 0; i < tok_->pieceCount_; ++i)
    keys.insert(tok_->tokenStringUnchecked(i));
  for (const auto &[id, token] : tok_->addedById_)
    keys.insert(token.content);
  return static_cast<int32_t>(keys.size());
}

xgenmm_token TokenizerLoader::vocabularyId(const std::string &content) const {
  auto it = tok_->addedByContent_.find(content);
  if (it != tok_->addedByContent_.end())
    return it->second;
  int id = tok_->processor_->PieceToId(content);
  if (id >= 0 && id < tok_->pieceCount_ && tok_->pieces_[id] == content &&
      !tok_->addedById_.count(id))
    return id;
  return -1;
}

void TokenizerLoader::addTokens(const std::vector<AddedToken> &tokens) {
  int32_t next = vocabularyLength();
  for (AddedToken token : tokens) {
    token.special = true;
    xgenmm_token id = vocabularyId(token.content);
    if (id < 0)
      id = next++;
    setAdded(id, token);
  }
}

xgenmm_status TokenizerLoader::run(std::unique_ptr<Tokenizer> &out) {
  XGENMM_TRY(loadModel());
  XGENMM_TRY(readConfig());
  if (!haveDecoder_)
    XGENMM_TRY(readLegacyFiles());

  // PreTrainedTokenizer.__init__: the saved added tokens, then every special
  // token not among them.
  for (const auto &[id, token] : decoder_) {
    if (tok_->addedByContent_.count(token.content))
      return fail(XGENMM_ERROR_BAD_ARTIFACT,
                  (haveDecoder_ ? configPath_ : dir_) + ": the added token '" +
                      token.content + "' has two ids");
    setAdded(id, token);
  }
  std::vector<AddedToken> missing;
  for (const auto &t : special_) {
    if (!t)
      continue;
    auto it = tok_->addedByContent_.find(t->content);
    if (it == tok_->addedByContent_.end())
      missing.push_back(*t);
    else
      tok_->addedById_[it->second].special = true;
  }
  for (const auto &t : additional_)
    if (!tok_->addedByContent_.count(t.content) &&
        std::none_of(missing.begin(), missing.end(), [&](const AddedToken &m) {
          return m.content == t.content;
        }))
      missing.push_back(t);
  addTokens(missing);

  // model.update_special_tokens(tokenizer): add_special_tokens with
  // additional_special_tokens, which replaces that list.
  additional_.clear();
  for (std::string_view content :
       {kImageToken, kImagePlaceholderToken, kEndOfChunkToken})
    additional_.push_back(AddedToken{std::string(content), false, false, true});
  addTokens(additional_);
  tok_->size_ = vocabularyLength();

  // all_special_tokens / all_special_ids / legacy_added_tokens.
  for (const std::string &s : specialTokenStrings()) {
    tok_->specialTokens_.insert(s);
    xgenmm_token id = tok_->tokenId(s);
    tok_->specialIds_.insert(id >= 0 ? id : tok_->processor_->unk_id());
  }
  for (const auto &[id, token] : tok_->addedById_)
    if (!tok_->specialTokens_.count(token.content))
      tok_->ownSubTextTokens_.insert(token.content);
  for (const auto &t : additional_)
    if (tok_->tokenId(t.content) >= tok_->pieceCount_)
      tok_->ownSubTextTokens_.insert(t.content);

  // The text splitter: added tokens by first byte, longest first.
  tok_->addedByFirstByte_.assign(256, {});
  for (const auto &[content, id] : tok_->addedByContent_)
    tok_->addedByFirstByte_[static_cast<uint8_t>(content[0])].push_back(
        content);
  for (auto &list : tok_->addedByFirstByte_)
    std::sort(list.begin(), list.end(),
              [](const std::string &a, const std::string &b) {
                return a.size() != b.size() ? a.size() > b.size() : a < b;
              });

  const std::optional<AddedToken> &unk = special_[2];
  if (!unk)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                configPath_ + ": unk_token is null; LlamaTokenizer needs one");
  tok_->unkToken_ = unk->content;
  std::vector<std::string> unkPieces;
  sentencepiece::util::Status status =
      tok_->processor_->Encode(tok_->unkToken_, &unkPieces);
  if (!status.ok())
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                path("tokenizer.model") +
                    ": cannot encode the unk_token: " + status.ToString());
  tok_->unkTokenLength_ = unkPieces.size();
  tok_->bosTokenId_ = special_[0] ? tok_->tokenId(special_[0]->content) : -1;
  tok_->eosTokenId_ = special_[1] ? tok_->tokenId(special_[1]->content) : -1;
  if (tok_->addBosToken_ && tok_->bosTokenId_ < 0)
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                configPath_ + ": add_bos_token without a bos_token");
  if (tok_->addEosToken_ && tok_->eosTokenId_ < 0)
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                configPath_ + ": add_eos_token without an eos_token");
  tok_->imageTokenId_ = tok_->tokenId(kImageToken);
  tok_->imagePlaceholderTokenId_ = tok_->tokenId(kImagePlaceholderToken);
  tok_->endOfChunkTokenId_ = tok_->tokenId(kEndOfChunkToken);
  out = std::move(tok_);
  return XGENMM_OK;
}

const std::string &Tokenizer::tokenStringUnchecked(xgenmm_token id) const {
  auto it = addedById_.find(id);
  return it != addedById_.end() ? it->second.content : pieces_[id];
}

bool Tokenizer::tokenString(xgenmm_token id, std::string &token) const {
  if (!inVocabulary(id))
    return false;
  token = tokenStringUnchecked(id);
  return true;
}

xgenmm_token Tokenizer::tokenId(std::string_view token) const {
  auto it = addedByContent_.find(std::string(token));
  if (it != addedByContent_.end())
    return it->second;
  int id = processor_->PieceToId(token);
  if (id >= 0 && id < pieceCount_ && pieces_[id] == token)
    return id;
  return -1;
}

xgenmm_status Tokenizer::tokenizeChunk(std::string_view chunk,
                                       std::vector<std::string> &pieces) const {
  // LlamaTokenizer._tokenize: SentencePiece (no dummy prefix) drops the
  // space a chunk starts with, so such chunks are encoded behind the unk
  // token, whose pieces are then removed.
  pieces.clear();
  sentencepiece::util::Status status;
  if (startsWith(chunk, kUnderline) || startsWith(chunk, " ")) {
    status = processor_->Encode(unkToken_ + std::string(chunk), &pieces);
    if (status.ok() && pieces.size() >= unkTokenLength_)
      pieces.erase(pieces.begin(), pieces.begin() + unkTokenLength_);
  } else {
    status = processor_->Encode(chunk, &pieces);
  }
  if (!status.ok())
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                "tokenizer: SentencePiece cannot encode the text: " +
                    status.ToString());
  return XGENMM_OK;
}

xgenmm_status Tokenizer::encode(std::string_view text,
                                std::vector<xgenmm_token> &ids) const {
  ids.clear();
  if (size_t bad = utf8::findInvalid(text); bad != std::string_view::npos)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                "tokenizer: the text is not valid UTF-8 (byte " +
                    std::to_string(bad) + ")");
  std::vector<std::string> tokens;
  if (!text.empty()) {
    // LlamaTokenizer.tokenize (legacy=False).
    std::string t = replaceAll(text, kUnderline, " ");
    if (addPrefixSpace_)
      t.insert(0, kUnderline);

    // PreTrainedTokenizer.tokenize: Trie.split at every added token (the
    // leftmost, longest match), then, as there, parts are told apart by
    // their text.
    std::vector<std::string_view> parts;
    std::string_view rest = t;
    size_t start = 0;
    for (size_t pos = 0; pos < rest.size();) {
      size_t length = 0;
      for (const std::string &c :
           addedByFirstByte_[static_cast<uint8_t>(rest[pos])])
        if (rest.compare(pos, c.size(), c) == 0) {
          length = c.size();
          break;
        }
      if (length == 0) {
        ++pos;
        continue;
      }
      if (pos > start)
        parts.push_back(rest.substr(start, pos - start));
      parts.push_back(rest.substr(pos, length));
      pos += length;
      start = pos;
    }
    if (start < rest.size())
      parts.push_back(rest.substr(start));
    auto addedToken = [&](std::string_view part) -> const AddedToken * {
      auto it = addedByContent_.find(std::string(part));
      return it == addedByContent_.end() ? nullptr : &addedById_.at(it->second);
    };

    // rstrip eats the whitespace after an added token, lstrip before it.
    for (size_t i = 0; i < parts.size(); ++i) {
      const AddedToken *added = addedToken(parts[i]);
      if (!added)
        continue;
      if (added->rstrip && i + 1 < parts.size() && !parts[i + 1].empty())
        parts[i + 1] = utf8::pythonLstrip(parts[i + 1]);
      if (added->lstrip && i > 0 && !parts[i - 1].empty())
        parts[i - 1] = utf8::pythonRstrip(parts[i - 1]);
    }
    std::vector<std::string> pieces;
    for (std::string_view part : parts) {
      if (part.empty())
        continue;
      if (addedToken(part)) {
        tokens.emplace_back(part);
        continue;
      }
      XGENMM_TRY(tokenizeChunk(part, pieces));
      for (std::string &p : pieces)
        tokens.push_back(std::move(p));
    }
    // A lone dummy prefix before a special token is dropped.
    if (tokens.size() > 1 && tokens[0] == kUnderline &&
        specialTokens_.count(tokens[1]))
      tokens.erase(tokens.begin());
  }

  // convert_tokens_to_ids, then build_inputs_with_special_tokens.
  ids.reserve(tokens.size() + 2);
  if (addBosToken_)
    ids.push_back(bosTokenId_);
  for (const std::string &token : tokens) {
    auto it = addedByContent_.find(token);
    ids.push_back(it != addedByContent_.end() ? it->second
                                              : processor_->PieceToId(token));
  }
  if (addEosToken_)
    ids.push_back(eosTokenId_);
  return XGENMM_OK;
}

xgenmm_status Tokenizer::decode(const xgenmm_token *ids, size_t count,
                                bool skipSpecialTokens,
                                std::string &text) const {
  text.clear();
  StreamDecoder decoder(*this, skipSpecialTokens);
  for (size_t i = 0; i < count; ++i)
    XGENMM_TRY(decoder.push(ids[i], text));
  decoder.finish(text);
  return XGENMM_OK;
}
