// Renders chat messages with llama.cpp's own template code: common_chat_templates_init + common_chat_templates_apply
// from the pinned llama.cpp's common library, the functions llama-server's /apply-template calls (through
// oaicompat_chat_params_parse), with the same inputs it sets for a plain {"messages": [...]} request.
// A stand-in for llama-server where it is not built; generate.py compiles it against runtimes/llama/cpu.
//
//   apply_template MODEL.gguf BACKEND_DIR < requests > responses
// Request:  "REQ <messages> <add_generation_prompt 0|1>\n", then per message "<role> <content bytes>\n<content>\n"
// Response: "OK <bytes>\n<prompt>\n" or "ERR <bytes>\n<message>\n"; first of all "BOS ..." and "EOS ..." the same way.
#include "chat.h"
#include "ggml-backend.h"
#include "llama.h"

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

static void reply(const char * kind, const std::string & text) {
    std::cout << kind << ' ' << text.size() << '\n' << text << '\n' << std::flush;
}

static std::string piece(const llama_vocab * vocab, llama_token token) {
    if (token == LLAMA_TOKEN_NULL) {
        return "";
    }
    char buffer[256];
    const int n = llama_token_to_piece(vocab, token, buffer, sizeof(buffer), 0, true);
    return n > 0 ? std::string(buffer, n) : std::string();
}

int main(int argc, char ** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s MODEL.gguf BACKEND_DIR\n", argv[0]);
        return 2;
    }
    ggml_backend_load_all_from_path(argv[2]);
    llama_backend_init();
    auto params       = llama_model_default_params();
    params.vocab_only = true;  // the template and the tokenizer are all this needs
    llama_model * model = llama_model_load_from_file(argv[1], params);
    if (model == nullptr) {
        std::fprintf(stderr, "cannot load %s\n", argv[1]);
        return 1;
    }
    common_chat_templates_ptr tmpls;
    try {
        tmpls = common_chat_templates_init(model, "");
    } catch (const std::exception & e) {
        std::fprintf(stderr, "llama.cpp cannot parse the chat template of %s: %s\n", argv[1], e.what());
        return 1;
    }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    reply("BOS", piece(vocab, llama_vocab_bos(vocab)));
    reply("EOS", piece(vocab, llama_vocab_eos(vocab)));

    std::string tag;
    size_t      count = 0;
    int         generation_prompt = 1;
    while (std::cin >> tag >> count >> generation_prompt) {
        common_chat_templates_inputs inputs;
        inputs.use_jinja             = true;
        inputs.add_generation_prompt = generation_prompt != 0;
        for (size_t i = 0; i < count; i++) {
            common_chat_msg msg;
            size_t          bytes = 0;
            std::cin >> msg.role >> bytes;
            std::cin.get();  // the newline after the header
            msg.content.resize(bytes);
            std::cin.read(msg.content.data(), static_cast<std::streamsize>(bytes));
            std::cin.get();  // the newline after the content
            inputs.messages.push_back(std::move(msg));
        }
        try {
            reply("OK", common_chat_templates_apply(tmpls.get(), inputs).prompt);
        } catch (const std::exception & e) {
            reply("ERR", e.what());
        }
    }
    llama_model_free(model);
    return 0;
}
