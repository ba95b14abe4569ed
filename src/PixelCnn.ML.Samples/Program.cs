using PixelCnn.ML.Torch;
Console.WriteLine($"libtorch {torch.version}, {torch.get_num_threads()} threads, CUDA available: {torch.cuda.is_available()}");
